//! The rules, one module per family; each module declares its rules (with their docs) and the
//! checks that report them. Rules of a family share one walk over the same part of a document,
//! which is why a family, not a single rule, is the unit of a file here.

pub(crate) mod bundles;
pub(crate) mod changes;
pub(crate) mod form;
pub(crate) mod lifecycle;
pub(crate) mod naming;
pub(crate) mod ownership;
pub(crate) mod schema;
pub(crate) mod suppression;
pub(crate) mod templates;
pub(crate) mod yaml;
