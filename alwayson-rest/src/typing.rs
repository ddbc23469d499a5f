//! Converting values to a declared base type, for outputs: an INTEGER property pushed as a
//! NUMBER cell (`77.0`) is shown as INTEGER 77 once the thing's metadata declares it.

use alwayson_proto::{BaseType, Value};

/// `value` as `to` when the conversion loses nothing (NUMBER ↔ INTEGER for integral values
/// in range, INTEGER/NUMBER → DATETIME, VARIANT unwrapped, a VARIANT column wraps);
/// otherwise `value` unchanged. NOTHING stays NOTHING.
pub fn coerce(value: Value, to: BaseType) -> Value {
    if to == BaseType::Variant {
        return match value {
            Value::Variant(_) | Value::Nothing => value,
            v => Value::variant(v),
        };
    }
    let value = match value {
        Value::Variant(inner) => inner.into_value(),
        v => v,
    };
    if value.base_type() == to {
        return value;
    }
    match (&value, to) {
        (Value::Number(n), BaseType::Integer)
            if n.fract() == 0.0 && *n >= f64::from(i32::MIN) && *n <= f64::from(i32::MAX) =>
        {
            Value::Integer(*n as i32)
        }
        (Value::Integer(i), BaseType::Number) => Value::Number(f64::from(*i)),
        (Value::Integer(i), BaseType::DateTime) => Value::DateTime(i64::from(*i)),
        (Value::Number(n), BaseType::DateTime) if n.fract() == 0.0 && n.is_finite() => {
            Value::DateTime(*n as i64)
        }
        (Value::String(_, s), t) if t.is_string_family() => Value::String(t, s.clone()),
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossless_conversions_only() {
        assert_eq!(
            coerce(Value::Number(77.0), BaseType::Integer),
            Value::Integer(77)
        );
        assert_eq!(
            coerce(Value::Number(77.5), BaseType::Integer),
            Value::Number(77.5)
        );
        assert_eq!(
            coerce(Value::Number(1e12), BaseType::Integer),
            Value::Number(1e12)
        );
        assert_eq!(
            coerce(Value::variant(Value::Number(3.0)), BaseType::Integer),
            Value::Integer(3)
        );
        assert_eq!(
            coerce(Value::Integer(3), BaseType::Number),
            Value::Number(3.0)
        );
        assert_eq!(
            coerce(Value::Integer(3), BaseType::Variant),
            Value::variant(Value::Integer(3))
        );
        assert_eq!(coerce(Value::Nothing, BaseType::Integer), Value::Nothing);
        assert_eq!(
            coerce(Value::string("x"), BaseType::Boolean),
            Value::string("x")
        );
    }
}
