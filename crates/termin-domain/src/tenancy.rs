//! Companies, plans, roles and user types.

/// Declares a string-backed enum whose wire spelling is given once.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The wire spellings of `ALL`, in its order.
            pub const WIRE: &'static [&'static str] = &[$($wire),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::tenancy::UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::tenancy::UnknownVariant {
                        expected: &[$($wire),+],
                    }),
                }
            }
        }
    };
}
pub(crate) use wire_enum;

/// A value that is not one of an enum's wire spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of: {}", expected.join(", "))]
pub struct UnknownVariant {
    pub expected: &'static [&'static str],
}

wire_enum!(
    /// What a company pays for; gates which credentials work.
    Plan {
        Free = "free",
        Essentials = "essentials",
        Growth = "growth",
        Enterprise = "enterprise",
        Platform = "platform",
    }
);

impl Plan {
    /// Personal Access Tokens need `essentials` or above.
    pub fn allows_personal_access_tokens(self) -> bool {
        !matches!(self, Plan::Free)
    }

    /// Platform API Keys need `enterprise` or `platform`.
    pub fn allows_api_keys(self) -> bool {
        matches!(self, Plan::Enterprise | Plan::Platform)
    }
}

wire_enum!(
    /// A user's role in their company. Exactly one owner per company.
    Role {
        Owner = "owner",
        Admin = "admin",
        Member = "member",
    }
);

impl Role {
    /// Owners and admins see workspace-wide data (meetergo's `isAdmin`).
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

wire_enum!(
    /// What kind of account a user is.
    UserType {
        Standard = "standard",
        Resource = "resource",
        ApiPlatform = "api-platform",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_gate_credentials_as_the_contract_says() {
        let pat: Vec<_> = Plan::ALL
            .iter()
            .map(|p| p.allows_personal_access_tokens())
            .collect();
        assert_eq!(pat, [false, true, true, true, true]);
        let keys: Vec<_> = Plan::ALL.iter().map(|p| p.allows_api_keys()).collect();
        assert_eq!(keys, [false, false, false, true, true]);
    }

    #[test]
    fn wire_spellings_round_trip() {
        for t in UserType::ALL {
            assert_eq!(t.as_str().parse::<UserType>(), Ok(*t));
        }
        assert_eq!("api-platform".parse(), Ok(UserType::ApiPlatform));
        let err = "boss".parse::<Role>().unwrap_err();
        assert_eq!(err.to_string(), "must be one of: owner, admin, member");
    }
}
