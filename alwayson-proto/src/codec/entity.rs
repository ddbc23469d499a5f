//! Entity types and characteristics: the address of a request (wire-format.md §4.1–4.2).

macro_rules! byte_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $val:literal => $text:literal,)* }) => {
        $(#[$m])*
        // Exhaustive on purpose: the protocol fixes the bytes (others are `Unknown`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $var,)*
            /// A value this crate does not know, kept as is.
            Unknown(u8),
        }

        impl $name {
            /// The byte on the wire.
            pub fn as_u8(self) -> u8 {
                match self {
                    $($name::$var => $val,)*
                    $name::Unknown(b) => b,
                }
            }

            /// The protocol's upper-case name (`"UNKNOWN"` for [`Self::Unknown`]).
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$var => $text,)*
                    $name::Unknown(_) => "UNKNOWN",
                }
            }
        }

        impl From<u8> for $name {
            fn from(b: u8) -> Self {
                match b {
                    $($val => $name::$var,)*
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                v.as_u8()
            }
        }
    };
}

byte_enum! {
    /// The kind of entity a request addresses. Things are [`EntityType::Thing`].
    EntityType {
        /// UNDEFINED (0x00).
        Undefined = 0x00 => "UNDEFINED",
        /// THING (0x0A): what edges bind and serve.
        Thing = 0x0A => "THING",
        /// THINGSHAPES (0x0B).
        ThingShapes = 0x0B => "THINGSHAPES",
        /// THINGTEMPLATES (0x0C).
        ThingTemplates = 0x0C => "THINGTEMPLATES",
        /// THINGPACKAGES (0x0D).
        ThingPackages = 0x0D => "THINGPACKAGES",
        /// NETWORKS (0x0E).
        Networks = 0x0E => "NETWORKS",
        /// DATASHAPES (0x0F).
        DataShapes = 0x0F => "DATASHAPES",
        /// MODELTAGS (0x14).
        ModelTags = 0x14 => "MODELTAGS",
        /// DATATAGS (0x15).
        DataTags = 0x15 => "DATATAGS",
        /// MASHUPS (0x1E).
        Mashups = 0x1E => "MASHUPS",
        /// WIDGETS (0x1F).
        Widgets = 0x1F => "WIDGETS",
        /// STYLEDEFINITIONS (0x20).
        StyleDefinitions = 0x20 => "STYLEDEFINITIONS",
        /// STATEDEFINITIONS (0x21).
        StateDefinitions = 0x21 => "STATEDEFINITIONS",
        /// MENUS (0x22).
        Menus = 0x22 => "MENUS",
        /// MEDIAENTITIES (0x23).
        MediaEntities = 0x23 => "MEDIAENTITIES",
        /// LOCALIZATIONTABLES (0x24).
        LocalizationTables = 0x24 => "LOCALIZATIONTABLES",
        /// DASHBOARDS (0x27).
        Dashboards = 0x27 => "DASHBOARDS",
        /// LOGS (0x28).
        Logs = 0x28 => "LOGS",
        /// USERS (0x32).
        Users = 0x32 => "USERS",
        /// GROUPS (0x33).
        Groups = 0x33 => "GROUPS",
        /// ORGANIZATIONS (0x34).
        Organizations = 0x34 => "ORGANIZATIONS",
        /// APPLICATIONKEYS (0x35).
        ApplicationKeys = 0x35 => "APPLICATIONKEYS",
        /// DIRECTORYSERVICES (0x36).
        DirectoryServices = 0x36 => "DIRECTORYSERVICES",
        /// RESOURCE (0x3C).
        Resource = 0x3C => "RESOURCE",
        /// SCRIPTFUNCTIONLIBRARIES (0x3D).
        ScriptFunctionLibraries = 0x3D => "SCRIPTFUNCTIONLIBRARIES",
        /// EXTENSIONPACKAGES (0x46).
        ExtensionPackages = 0x46 => "EXTENSIONPACKAGES",
        /// SUBSYSTEM (0x50).
        Subsystem = 0x50 => "SUBSYSTEM",
    }
}

byte_enum! {
    /// What part of an entity a request addresses.
    Characteristic {
        /// PROPERTIES (0x01).
        Properties = 0x01 => "PROPERTIES",
        /// SERVICES (0x02).
        Services = 0x02 => "SERVICES",
        /// EVENTS (0x03).
        Events = 0x03 => "EVENTS",
    }
}
