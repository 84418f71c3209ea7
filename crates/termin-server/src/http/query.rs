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

    pub fn one(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Every value of `key`, repeated keys and comma lists alike.
    pub fn many(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key || k == &format!("{key}[]"))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
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
