//! PAO request forms: the form description every UI renders, the validation of request values
//! (the single implementation the CLI, the REST API and the HTML preview agree on) and the
//! self-contained HTML preview page.
//!
//! ```
//! use pao_form::{FormDescription, Validator, parse_document, parse_values};
//!
//! let item = parse_document(br#"
//! apiVersion: pao/v1
//! kind: CatalogItem
//! metadata: { id: demo-item, name: Demo, description: A demo, version: 1.0.0, category: demo,
//!             owner: { team: platform, contact: p@example.com }, lifecycle: { status: stable } }
//! presentation:
//!   form:
//!     groups:
//!       - id: basic
//!         name: Basic
//!         fields:
//!           - { id: size, name: Size, type: integer, required: true, validation: { min: 1, max: 9 } }
//! fulfillment: { strategy: manual, manual: { actions: [] } }
//! "#).unwrap();
//! let description = FormDescription::from_document(&item);
//! let outcome = Validator::from_description(&description).validate(&parse_values(b"size: 12").unwrap());
//! assert_eq!(outcome.errors[0].field, "size");
//! assert_eq!(outcome.errors[0].message, "Must be at most 9");
//! ```

#![deny(missing_docs)]

mod describe;
mod html;
mod load;
pub mod pattern;
mod validate;

pub use describe::{
    Component, ConditionalView, FieldView, FormDescription, FormView, GroupView, OptionView, VALIDATION_ENDPOINT,
};
pub use html::{FORM_CSS, FORM_JS, escape, form_data_json, input_id, render_fields, render_html};
pub use load::{FormError, parse_document, parse_values};
pub use validate::{
    FieldError, FieldValidator, Outcome, Rule, Validator, condition_holds, is_date, same_value, truthy, validate,
    validate_request,
};
