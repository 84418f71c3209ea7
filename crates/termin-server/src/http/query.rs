//! Query strings as meetergo clients send them: arrays as repeated keys (`hostIds=a&hostIds=b`)
//! or comma-separated (`hostIds=a,b`).

use crate::http::error::{ApiError, ApiResult};
use termin_service::Validator;

pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> ApiResult<Self> {
        serde_urlencoded::from_str(raw.unwrap_or(""))
            .map(Params)
            .map_err(|e| ApiError::bad_request(format!("Invalid query: {e}")))
    }

    /// The value of `key`, as sent: `?sortBy=` is the empty value, which typed parameters
    /// refuse like any other value they cannot read (free-text ones take it as no filter).
    pub fn one(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, repeated keys and comma lists alike (`a, b` is `a` and ` b`).
    pub fn many(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key || k == &format!("{key}[]"))
            .flat_map(|(_, v)| v.split(','))
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A parsed value, recording an error under the key's name.
    pub fn parsed<T: std::str::FromStr>(
        &self,
        v: &mut Validator,
        key: &str,
        what: &str,
    ) -> Option<T> {
        let raw = self.one(key)?;
        match raw.parse() {
            Ok(t) => Some(t),
            Err(_) => {
                v.fail(key, format!("must be {what}"));
                None
            }
        }
    }
}
