//! Reading upstream JSON that is looser than its documentation.

use serde::{Deserialize, Deserializer};

/// Reads a `null` as the type's default (an empty list, an empty string),
/// for fields an upstream sends as `null` where it means "none":
/// `#[serde(default, deserialize_with = "roster_sdk::json::nullable")]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Shape {
        #[serde(default, deserialize_with = "super::nullable")]
        items: Vec<u8>,
    }

    #[test]
    fn null_and_absent_read_as_the_default() {
        for (json, want) in [
            (r#"{"items":null}"#, vec![]),
            (r#"{}"#, vec![]),
            (r#"{"items":[1]}"#, vec![1]),
        ] {
            let shape: Shape = serde_json::from_str(json).unwrap();
            assert_eq!(shape.items, want, "{json}");
        }
        assert!(serde_json::from_str::<Shape>(r#"{"items":"x"}"#).is_err());
    }
}
