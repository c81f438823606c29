// PAO form preview. Reads the form description embedded in the page, shows and hides conditional
// fields and checks values as the user types. The checks mirror crates/pao_form/src/validate.rs
// rule for rule and message for message: change both together (the browser tests compare them).
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('pao-form-data').textContent);
  var description = data.description;
  var patternErrors = data.patternErrors || {};
  var has = Object.prototype.hasOwnProperty;
  // A field id used twice names the first such field, as in Validator::from_fields.
  // Passwords are masked whichever field with the id is one (as mask_passwords does).
  var fields = [], byId = Object.create(null), passwordIds = Object.create(null);
  description.form.groups.forEach(function (group) {
    group.fields.forEach(function (field) {
      if (field.type === 'password') passwordIds[field.id] = true;
      if (has.call(byId, field.id)) return;
      byId[field.id] = field;
      fields.push(field);
    });
  });

  // ---------------------------------------------------------------- validation (validate.rs)

  function isEmpty(v) { return v === undefined || v === null || v === ''; }
  function isBlank(v) { return isEmpty(v) || (Array.isArray(v) && v.length === 0); }
  function isText(type) { return type === 'string' || type === 'textarea' || type === 'password'; }

  function truthy(v) {
    if (v === undefined || v === null) return false;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string') return v.length > 0;
    if (Array.isArray(v)) return v.length > 0;
    if (typeof v === 'object') return Object.keys(v).length > 0;
    return false;
  }

  function jsonEq(a, b) {
    if (a === undefined) a = null;
    if (b === undefined) b = null;
    if (Array.isArray(a) || Array.isArray(b)) {
      if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
      for (var i = 0; i < a.length; i++) if (!jsonEq(a[i], b[i])) return false;
      return true;
    }
    if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
      var ka = Object.keys(a), kb = Object.keys(b);
      if (ka.length !== kb.length) return false;
      return ka.every(function (k) { return has.call(b, k) && jsonEq(a[k], b[k]); });
    }
    return a === b;
  }

  function numberText(n) { return String(n); }

  function valueText(v) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return numberText(v);
    if (typeof v === 'boolean') return String(v);
    if (v === null || v === undefined) return 'null';
    return JSON.stringify(v);
  }

  function jsonKind(v) {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return 'a boolean';
    if (typeof v === 'number') return 'a number';
    if (typeof v === 'string') return 'text';
    if (Array.isArray(v)) return 'a list';
    return 'an object';
  }

  function isDate(text) {
    var m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text);
    if (!m) return false;
    var year = +m[1], month = +m[2], day = +m[3];
    var leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    var days = [0, 31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month];
    return days !== undefined && month >= 1 && day >= 1 && day <= days;
  }

  function conditionHolds(condition, expected, actual) {
    var inList = function () {
      return Array.isArray(expected) ? expected.some(function (x) { return jsonEq(x, actual); }) : jsonEq(expected, actual);
    };
    switch (condition) {
      case 'equals': return jsonEq(actual, expected);
      case 'notEquals': return !jsonEq(actual, expected);
      case 'in': return inList();
      case 'notIn': return !inList();
      case 'truthy': return truthy(actual);
      case 'falsy': return !truthy(actual);
      default: return true;
    }
  }

  function explainFailed(condition, expected) {
    var list = Array.isArray(expected) ? expected.map(valueText).join(', ') : valueText(expected);
    switch (condition) {
      case 'equals': return 'is not ' + valueText(expected);
      case 'notEquals': return 'is ' + valueText(expected);
      case 'in': return 'is not one of ' + list;
      case 'notIn': return 'is one of ' + list;
      case 'truthy': return 'is not set';
      default: return 'is set';
    }
  }

  var compiled = {};
  function patternOf(field) {
    if (has.call(compiled, field.id)) return compiled[field.id];
    var source = field.validation && field.validation.pattern;
    var result = null;
    if (typeof source === 'string' && isText(field.type)) {
      if (has.call(patternErrors, field.id)) {
        result = { error: patternErrors[field.id] };
      } else {
        try {
          result = { re: new RegExp('^(?:' + source + ')$', 'u') };
        } catch (e) {
          try { result = { re: new RegExp('^(?:' + source + ')$') }; } catch (e2) { result = { error: e2.message }; }
        }
      }
    }
    compiled[field.id] = result;
    return result;
  }

  function choices(field) {
    var options = field.options || [];
    var text = options.slice(0, 10).map(function (o) { return valueText(o.value); });
    if (options.length > 10) text.push('\u2026 (' + (options.length - 10) + ' more)');
    return text.join(', ');
  }

  function optionFor(field, value) {
    if (value === null || value === undefined || typeof value === 'object') return undefined;
    var options = field.options || [];
    for (var i = 0; i < options.length; i++) if (jsonEq(options[i].value, value)) return options[i].value;
    for (var j = 0; j < options.length; j++) if (valueText(options[j].value) === valueText(value)) return options[j].value;
    return undefined;
  }

  // Checks a non-empty value: { value } normalised, or { error: { rule, message } }.
  function check(field, value) {
    var validation = field.validation || {};
    var fail = function (rule, message) { return { error: { field: field.id, message: message, rule: rule } }; };
    var constraint = function (rule, message) {
      return fail(rule, typeof validation.message === 'string' ? validation.message : message);
    };
    var num = function (x) { return typeof x === 'number' ? x : undefined; };
    switch (field.type) {
      case 'string': case 'textarea': case 'password': {
        if (typeof value !== 'string') return fail('type', 'Must be text, not ' + jsonKind(value));
        var length = Array.from(value).length;
        if (typeof validation.minLength === 'number' && length < validation.minLength) {
          return constraint('minLength', 'Must be at least ' + validation.minLength + ' characters');
        }
        if (typeof validation.maxLength === 'number' && length > validation.maxLength) {
          return constraint('maxLength', 'Must be at most ' + validation.maxLength + ' characters');
        }
        var pattern = patternOf(field);
        if (pattern && pattern.error !== undefined) {
          return fail('invalidPattern', "Cannot be checked: the catalog item's pattern is not supported (" + pattern.error + ')');
        }
        if (pattern && !pattern.re.test(value)) {
          return constraint('pattern', 'Must match the pattern ' + validation.pattern);
        }
        return { value: value };
      }
      case 'number': case 'integer': {
        if (typeof value !== 'number' || !isFinite(value)) return fail('type', 'Must be a number, not ' + jsonKind(value));
        var integer = field.type === 'integer';
        if (integer && !Number.isInteger(value)) return fail('type', 'Must be a whole number');
        var min = num(validation.min), max = num(validation.max);
        if (min !== undefined && value < min) return constraint('min', 'Must be at least ' + numberText(min));
        if (max !== undefined && value > max) return constraint('max', 'Must be at most ' + numberText(max));
        var step = num(validation.step);
        if (step !== undefined && step > 0) {
          var base = min !== undefined ? min : 0;
          var quotient = (value - base) / step;
          if (Math.abs(quotient - roundHalfAway(quotient)) > 1e-9 * Math.max(Math.abs(quotient), 1)) {
            var whole = base === 0 || Number.isInteger(base / step);
            return constraint('step', whole ? 'Must be a multiple of ' + numberText(step)
              : 'Must be ' + numberText(base) + ' plus a multiple of ' + numberText(step));
          }
        }
        return { value: value };
      }
      case 'boolean':
        return typeof value === 'boolean' ? { value: value } : fail('type', 'Must be true or false, not ' + jsonKind(value));
      case 'select': {
        var option = optionFor(field, value);
        return option === undefined ? fail('option', 'Must be one of: ' + choices(field)) : { value: option };
      }
      case 'multiselect': {
        if (!Array.isArray(value)) return fail('type', 'Must be a list of choices, not ' + jsonKind(value));
        var chosen = [];
        for (var i = 0; i < value.length; i++) {
          var item = optionFor(field, value[i]);
          if (item === undefined) return fail('option', '`' + valueText(value[i]) + '` is not one of: ' + choices(field));
          if (chosen.some(function (c) { return jsonEq(c, item); })) {
            return fail('duplicate', 'Lists `' + valueText(item) + '` more than once');
          }
          chosen.push(item);
        }
        if (typeof validation.minItems === 'number' && chosen.length < validation.minItems) {
          return constraint('minItems', 'Choose at least ' + validation.minItems);
        }
        if (typeof validation.maxItems === 'number' && chosen.length > validation.maxItems) {
          return constraint('maxItems', 'Choose at most ' + validation.maxItems);
        }
        return { value: chosen };
      }
      case 'date': {
        if (typeof value !== 'string' || !isDate(value)) return fail('type', 'Must be a date in the form YYYY-MM-DD');
        var bound = function (b) { return typeof b === 'string' && isDate(b) ? b : undefined; };
        var earliest = bound(validation.min), latest = bound(validation.max);
        if (earliest !== undefined && value < earliest) return constraint('min', 'Must be on or after ' + earliest);
        if (latest !== undefined && value > latest) return constraint('max', 'Must be on or before ' + latest);
        return { value: value };
      }
      default:
        return { value: value };
    }
  }

  // Rust's f64::round rounds halves away from zero; Math.round rounds them up.
  function roundHalfAway(x) { return x < 0 ? -Math.round(-x) : Math.round(x); }

  function visibility(field, state, values) {
    var c = field.conditional;
    if (!c) return null;
    var dep = byId[c.dependsOn];
    var depName = dep ? dep.name : c.dependsOn;
    var actual;
    if (has.call(state, c.dependsOn)) {
      if (!state[c.dependsOn].visible) return depName + ' is hidden';
      actual = state[c.dependsOn].value;
    } else {
      var raw = has.call(values, c.dependsOn) ? values[c.dependsOn] : null;
      actual = !isEmpty(raw) ? raw : (dep ? dep['default'] : null);
    }
    return conditionHolds(c.condition, c.value, actual) ? null : depName + ' ' + explainFailed(c.condition, c.value);
  }

  // Same result as Validator::validate: { valid, errors, values, hidden }.
  function validate(values) {
    var errors = [], output = {}, hidden = [], state = {};
    fields.forEach(function (field) {
      var raw = has.call(values, field.id) ? values[field.id] : null;
      var reason = visibility(field, state, values);
      if (reason !== null) {
        hidden.push(field.id);
        if (!isBlank(raw)) {
          errors.push({ field: field.id, message: field.name + ' is hidden because ' + reason + '; remove this value', rule: 'hidden' });
        }
        state[field.id] = { visible: false, value: null };
        return;
      }
      var effective;
      if (isEmpty(raw)) {
        if (field['default'] === null || field['default'] === undefined) {
          if (field.required) errors.push({ field: field.id, message: field.name + ' is required', rule: 'required' });
          effective = null;
        } else if (isBlank(field['default'])) {
          output[field.id] = field['default'];
          effective = field['default'];
        } else {
          // The default is checked like a given value (Validator::validate does the same).
          var checked = check(field, field['default']);
          if (checked.error) {
            errors.push({
              field: field.id,
              message: field.name + ' needs a value: its default ' + JSON.stringify(field['default']) +
                ' is not valid (' + checked.error.message + '); choose a value, and tell the item\'s owners to fix the default',
              rule: checked.error.rule
            });
            effective = null;
          } else {
            output[field.id] = checked.value;
            effective = checked.value;
          }
        }
      } else if (field.type === 'multiselect' && Array.isArray(raw) && raw.length === 0) {
        if (field.required) {
          errors.push({ field: field.id, message: field.name + ' is required', rule: 'required' });
        } else {
          output[field.id] = raw;
        }
        effective = raw;
      } else {
        var result = check(field, raw);
        if (result.error) {
          errors.push(result.error);
          effective = raw;
        } else {
          output[field.id] = result.value;
          effective = result.value;
        }
      }
      state[field.id] = { visible: true, value: effective };
    });
    Object.keys(values).forEach(function (key) {
      if (!has.call(byId, key)) {
        errors.push({ field: key, message: 'Unknown field: the form has no field `' + key + '`', rule: 'unknownField' });
      }
    });
    return { valid: errors.length === 0, errors: errors, values: output, hidden: hidden };
  }

  // ---------------------------------------------------------------- the page

  var form = document.getElementById('pao-form');
  var touched = {};
  var submitted = false;

  var wrappers = {};
  Array.prototype.forEach.call(form.querySelectorAll('[data-field]'), function (w) {
    wrappers[w.getAttribute('data-field')] = w;
  });
  var inputCache = {};
  function wrapper(field) { return has.call(wrappers, field.id) ? wrappers[field.id] : null; }
  function inputsOf(field) {
    if (!has.call(inputCache, field.id)) {
      var w = wrapper(field);
      inputCache[field.id] = w ? Array.prototype.slice.call(w.querySelectorAll('input, select, textarea')) : [];
    }
    return inputCache[field.id];
  }

  // The value a field's inputs hold; undefined when empty.
  function readField(field) {
    var inputs = inputsOf(field);
    if (inputs.length === 0) return undefined;
    var el = inputs[0];
    switch (field.component) {
      case 'checkbox': return el.checked;
      case 'multi-dropdown':
        return inputs.filter(function (i) { return i.checked; }).map(function (i) { return field.options[+i.value].value; });
      case 'dropdown': return el.value === '' ? undefined : field.options[+el.value].value;
      case 'number-input':
        if (el.value === '') return el.validity && el.validity.badInput ? 'not a number' : undefined;
        return Number(el.value);
      case 'date-picker':
        if (el.value === '') return el.validity && el.validity.badInput ? 'not a date' : undefined;
        return el.value;
      default: return el.value === '' ? undefined : el.value;
    }
  }

  // Puts a value into a field's inputs (used by the #values= test hook).
  function writeField(field, value) {
    var inputs = inputsOf(field);
    if (inputs.length === 0) return;
    var el = inputs[0];
    switch (field.component) {
      case 'checkbox': el.checked = value === true; break;
      case 'multi-dropdown':
        inputs.forEach(function (i) {
          var optionValue = field.options[+i.value].value;
          i.checked = Array.isArray(value) && value.some(function (v) { return valueText(v) === valueText(optionValue); });
        });
        break;
      case 'dropdown': {
        var index = (field.options || []).findIndex(function (o) { return valueText(o.value) === valueText(value); });
        el.value = index < 0 ? '' : String(index);
        break;
      }
      default: el.value = value === null || value === undefined ? '' : valueText(value);
    }
  }

  function readAll() {
    var values = {};
    fields.forEach(function (field) {
      var v = readField(field);
      if (v !== undefined) values[field.id] = v;
    });
    return values;
  }

  // What the page would send: visible fields only, as read from the inputs.
  function submission() {
    var all = readAll();
    validate(all).hidden.forEach(function (id) { delete all[id]; });
    return all;
  }

  function masked(values) {
    var out = {};
    Object.keys(values).forEach(function (key) {
      out[key] = passwordIds[key] ? '***' : values[key];
    });
    return out;
  }

  function refresh() {
    var values = submission();
    var outcome = validate(values);
    var errorsByField = {};
    outcome.errors.forEach(function (e) { if (!has.call(errorsByField, e.field)) errorsByField[e.field] = e; });
    fields.forEach(function (field) {
      var w = wrapper(field);
      if (!w) return;
      w.hidden = outcome.hidden.indexOf(field.id) >= 0;
      var error = errorsByField[field.id];
      var show = error && (touched[field.id] || submitted);
      var slot = document.getElementById('err-' + w.id.slice('field-'.length));
      if (slot) slot.textContent = show ? error.message : '';
      w.classList.toggle('invalid', !!show);
      inputsOf(field).forEach(function (el) {
        if (show) el.setAttribute('aria-invalid', 'true'); else el.removeAttribute('aria-invalid');
      });
    });
    var status = document.getElementById('pao-status');
    var count = outcome.errors.length;
    status.className = 'card status ' + (count === 0 ? 'ok' : 'bad');
    status.textContent = count === 0
      ? 'Ready to submit: every visible field is valid.'
      : count + (count === 1 ? ' field needs' : ' fields need') + ' attention: ' +
        outcome.errors.map(function (e) { return byId[e.field] ? byId[e.field].name : e.field; }).join(', ');
    document.getElementById('pao-submission').textContent = JSON.stringify(masked(values), null, 2);
    return { values: values, outcome: outcome };
  }

  form.addEventListener('input', function (event) {
    var w = event.target.closest('[data-field]');
    if (w) touched[w.getAttribute('data-field')] = true;
    refresh();
  });
  form.addEventListener('change', function (event) {
    var w = event.target.closest('[data-field]');
    if (w) touched[w.getAttribute('data-field')] = true;
    refresh();
  });
  form.addEventListener('submit', function (event) {
    submitted = true;
    var result = refresh();
    if (result.outcome.errors.length > 0) {
      event.preventDefault();
      var first = byId[result.outcome.errors[0].field];
      var inputs = first ? inputsOf(first) : [];
      if (inputs.length > 0) inputs[0].focus();
      return;
    }
    // A page that posts the form (the portal) gets the typed values in its `values` input;
    // the preview page only checks.
    var target = form.querySelector('input[name="values"]');
    if (form.hasAttribute('data-post') && target) {
      target.value = JSON.stringify(submission());
    } else {
      event.preventDefault();
    }
  });
  form.addEventListener('reset', function () {
    touched = {};
    submitted = false;
    setTimeout(refresh, 0);
  });

  // ---------------------------------------------------------------- test hook
  // file:///page.html#values=<base64url of a JSON object>: fills the inputs with those values,
  // then writes the verdicts (base64 of JSON) into #pao-verdicts for the browser tests.

  function fromBase64Url(text) {
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    var binary = atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  }

  function toBase64(text) {
    var bytes = new TextEncoder().encode(text);
    var binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  var match = /(?:^#|&)values=([A-Za-z0-9_=-]*)/.exec(window.location.hash);
  if (!match) refresh();
  if (match) {
    var verdicts;
    try {
      var given = JSON.parse(fromBase64Url(match[1]));
      var raw = validate(given);
      // `&typed=1`: as if the user typed the values (input events, nothing submitted), so only
      // the touched fields show their errors; otherwise as if "Check request" was pressed.
      var typed = /(?:^#|&)typed=1(?:&|$)/.test(window.location.hash);
      fields.forEach(function (field) {
        if (!has.call(given, field.id)) return;
        writeField(field, given[field.id]);
        if (typed) {
          inputsOf(field).forEach(function (el) { el.dispatchEvent(new Event('input', { bubbles: true })); });
        }
      });
      if (typed) {
        refresh();
      } else {
        form.dispatchEvent(new Event('submit', { cancelable: true }));
      }
      var page = refresh();
      verdicts = {
        raw: raw,
        dom: page.outcome,
        domValues: page.values,
        submission: JSON.parse(document.getElementById('pao-submission').textContent),
        shown: fields.filter(function (f) { var w = wrapper(f); return w && !w.hidden; }).map(function (f) { return f.id; }),
        shownErrors: Array.prototype.slice.call(form.querySelectorAll('.error')).filter(function (e) {
          return e.textContent !== '';
        }).map(function (e) { return e.id.slice('err-'.length) + ': ' + e.textContent; }),
        invalidInputs: Array.prototype.slice.call(form.querySelectorAll('[aria-invalid="true"]')).map(function (e) { return e.id; }),
        status: document.getElementById('pao-status').textContent,
        focused: document.activeElement ? document.activeElement.id : null
      };
    } catch (e) {
      verdicts = { failure: String(e && e.stack || e) };
    }
    document.getElementById('pao-verdicts').textContent = toBase64(JSON.stringify(verdicts));
  }
})();
