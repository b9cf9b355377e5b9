//! `Vars`: the one way a configuration section reads its variables, from
//! the process environment or from the map a test passes. A variable that
//! is empty or only spaces counts as unset; a value that does not parse is a
//! `ConfigError` naming the variable, never a silent default.

use super::secret::Secret;

/// A configuration variable that is set but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?} is not valid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: &'static str,
}

impl ConfigError {
    pub fn new(name: &'static str, value: impl Into<String>, reason: &'static str) -> Self {
        Self {
            name,
            value: value.into(),
            reason,
        }
    }
}

/// A source of variables: `name → value`.
#[derive(Clone, Copy)]
pub struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl<'a> Vars<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self(lookup)
    }

    /// The process environment (without `.env`), for commands that read a
    /// single section before or instead of the whole configuration.
    pub fn with_env<T>(read: impl FnOnce(Vars<'_>) -> T) -> T {
        let lookup = |name: &str| std::env::var(name).ok();
        read(Vars(&lookup))
    }

    /// The value, if set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// The value as a secret, if set.
    pub fn secret(&self, name: &str) -> Option<Secret<String>> {
        self.get(name).map(Secret::new)
    }

    /// A base URL without its trailing slashes, if set.
    pub fn url(&self, name: &str) -> Option<String> {
        self.get(name).map(|u| u.trim_end_matches('/').to_string())
    }

    /// A comma-separated list, blanks dropped, each entry trimmed.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(|m| m.trim().to_string())
                    .filter(|m| !m.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The value (or `default` when unset) parsed as `T`.
    pub fn parse<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: &str,
        reason: &'static str,
    ) -> Result<T, ConfigError> {
        let value = self.get(name).unwrap_or_else(|| default.to_string());
        value
            .trim()
            .parse()
            .map_err(|_| ConfigError::new(name, value, reason))
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), or `default`.
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
            Some(value) => Err(ConfigError::new(name, value, "expected true or false")),
        }
    }

    /// One of `choices` (`(value, meaning)`), the first when unset.
    pub fn choice<T: Copy>(
        &self,
        name: &'static str,
        choices: &[(&str, T)],
        reason: &'static str,
    ) -> Result<T, ConfigError> {
        let Some(value) = self.get(name) else {
            return Ok(choices[0].1);
        };
        let value = value.trim();
        choices
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, kind)| *kind)
            .ok_or_else(|| ConfigError::new(name, value, reason))
    }
}
