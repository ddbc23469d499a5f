//! Base types: the one-byte type tag of every typed value and DataShape field
//! (base-types.md §1).

macro_rules! base_types {
    ($($(#[$vm:meta])* $var:ident = $val:literal => $text:literal,)*) => {
        /// A ThingWorx base type. The byte is signed on the wire (NOTHING is `0xFF` = −1).
        ///
        /// A DataShape field may declare any byte (the SDK stores it without validation), so
        /// unknown bytes are kept in [`BaseType::Unknown`]. Whether a type can be *encoded as a
        /// value* is a separate question: see [`BaseType::has_value_encoding`].
        // Exhaustive on purpose: the protocol fixes the base types (others are `Unknown`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum BaseType {
            $($(#[$vm])* $var,)*
            /// A byte with no assigned base type (including LONG 0x17, which the C SDK
            /// does not define).
            Unknown(u8),
        }

        impl BaseType {
            /// The byte on the wire.
            #[inline]
            pub fn as_u8(self) -> u8 {
                match self {
                    $(BaseType::$var => $val,)*
                    BaseType::Unknown(b) => b,
                }
            }

            /// The upper-case name used by ThingWorx (`"NUMBER"`, `"THINGNAME"`, …), or
            /// `"UNKNOWN"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(BaseType::$var => $text,)*
                    BaseType::Unknown(_) => "UNKNOWN",
                }
            }

            /// The base type with this upper-case name (as in [`BaseType::name`]).
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text => Some(BaseType::$var),)*
                    _ => None,
                }
            }

            /// Every assigned base type, in code order.
            pub const ALL: &'static [BaseType] = &[$(BaseType::$var,)*];
        }

        /// The byte of every assigned base type, for `match` patterns on a raw type byte.
        #[allow(non_upper_case_globals, dead_code)]
        pub(crate) mod byte {
            $(pub(crate) const $var: u8 = $val;)*
        }

        impl From<u8> for BaseType {
            #[inline]
            fn from(b: u8) -> Self {
                match b {
                    $($val => BaseType::$var,)*
                    other => BaseType::Unknown(other),
                }
            }
        }
    };
}

base_types! {
    /// NOTHING (0xFF): no value bytes.
    Nothing = 0xFF => "NOTHING",
    /// STRING (0x00).
    String = 0x00 => "STRING",
    /// NUMBER (0x01): f64.
    Number = 0x01 => "NUMBER",
    /// BOOLEAN (0x02).
    Boolean = 0x02 => "BOOLEAN",
    /// DATETIME (0x03): ms since the Unix epoch.
    DateTime = 0x03 => "DATETIME",
    /// TIMESPAN (0x04): no value encoding is defined.
    Timespan = 0x04 => "TIMESPAN",
    /// INFOTABLE (0x05): a nested InfoTable.
    InfoTable = 0x05 => "INFOTABLE",
    /// LOCATION (0x06): longitude, latitude, elevation.
    Location = 0x06 => "LOCATION",
    /// XML (0x07): string family.
    Xml = 0x07 => "XML",
    /// JSON (0x08): string family.
    Json = 0x08 => "JSON",
    /// QUERY (0x09): string family.
    Query = 0x09 => "QUERY",
    /// IMAGE (0x0A): blob family.
    Image = 0x0A => "IMAGE",
    /// HYPERLINK (0x0B): string family.
    Hyperlink = 0x0B => "HYPERLINK",
    /// IMAGELINK (0x0C): string family.
    ImageLink = 0x0C => "IMAGELINK",
    /// PASSWORD (0x0D): string family.
    Password = 0x0D => "PASSWORD",
    /// HTML (0x0E): string family.
    Html = 0x0E => "HTML",
    /// TEXT (0x0F): string family.
    Text = 0x0F => "TEXT",
    /// TAGS (0x10): string family.
    Tags = 0x10 => "TAGS",
    /// SCHEDULE (0x11): no value encoding is defined.
    Schedule = 0x11 => "SCHEDULE",
    /// VARIANT (0x12): a typed value wrapped in another type byte.
    Variant = 0x12 => "VARIANT",
    /// GUID (0x14): string family.
    Guid = 0x14 => "GUID",
    /// BLOB (0x15): blob family.
    Blob = 0x15 => "BLOB",
    /// INTEGER (0x16): i32.
    Integer = 0x16 => "INTEGER",
    /// PROPERTYNAME (0x32): string family.
    PropertyName = 0x32 => "PROPERTYNAME",
    /// SERVICENAME (0x33): string family.
    ServiceName = 0x33 => "SERVICENAME",
    /// EVENTNAME (0x34): string family.
    EventName = 0x34 => "EVENTNAME",
    /// THINGNAME (0x64): string family.
    ThingName = 0x64 => "THINGNAME",
    /// THINGSHAPENAME (0x65): string family.
    ThingShapeName = 0x65 => "THINGSHAPENAME",
    /// THINGTEMPLATENAME (0x66): string family.
    ThingTemplateName = 0x66 => "THINGTEMPLATENAME",
    /// DATASHAPENAME (0x68): string family.
    DataShapeName = 0x68 => "DATASHAPENAME",
    /// MASHUPNAME (0x69): string family.
    MashupName = 0x69 => "MASHUPNAME",
    /// MENUNAME (0x6A): string family.
    MenuName = 0x6A => "MENUNAME",
    /// BASETYPENAME (0x6B): string family.
    BaseTypeName = 0x6B => "BASETYPENAME",
    /// USERNAME (0x6C): string family.
    UserName = 0x6C => "USERNAME",
    /// GROUPNAME (0x6D): string family.
    GroupName = 0x6D => "GROUPNAME",
    /// CATEGORYNAME (0x6E): string family.
    CategoryName = 0x6E => "CATEGORYNAME",
    /// STATEDEFINITIONNAME (0x6F): string family.
    StateDefinitionName = 0x6F => "STATEDEFINITIONNAME",
    /// STYLEDEFINITIONNAME (0x70): string family.
    StyleDefinitionName = 0x70 => "STYLEDEFINITIONNAME",
    /// MODELTAGVOCABULARYNAME (0x71): string family.
    ModelTagVocabularyName = 0x71 => "MODELTAGVOCABULARYNAME",
    /// DATATAGVOCABULARYNAME (0x72): string family.
    DataTagVocabularyName = 0x72 => "DATATAGVOCABULARYNAME",
    /// NETWORKNAME (0x73): string family.
    NetworkName = 0x73 => "NETWORKNAME",
    /// MEDIAENTITYNAME (0x74): string family.
    MediaEntityName = 0x74 => "MEDIAENTITYNAME",
    /// APPLICATIONKEYNAME (0x75): string family.
    ApplicationKeyName = 0x75 => "APPLICATIONKEYNAME",
    /// LOCALIZATIONTABLENAME (0x76): string family.
    LocalizationTableName = 0x76 => "LOCALIZATIONTABLENAME",
    /// ORGANIZATIONNAME (0x77): string family.
    OrganizationName = 0x77 => "ORGANIZATIONNAME",
    /// DASHBOARDNAME (0x78): string family.
    DashboardName = 0x78 => "DASHBOARDNAME",
}

impl BaseType {
    /// Whether values of this type are carried as a length-prefixed string (STRING, XML,
    /// JSON, QUERY, HYPERLINK, IMAGELINK, PASSWORD, HTML, TEXT, TAGS, GUID and every
    /// `*NAME` type).
    #[inline]
    pub fn is_string_family(self) -> bool {
        matches!(self.as_u8(), 0x00 | 0x07..=0x09 | 0x0B..=0x10 | 0x14 | 0x32..=0x34 | 0x64..=0x66 | 0x68..=0x78)
    }

    /// Whether values of this type are a `u32` length plus raw bytes (BLOB, IMAGE).
    pub fn is_blob_family(self) -> bool {
        matches!(self, BaseType::Blob | BaseType::Image)
    }

    /// Whether a typed value of this type can be decoded and encoded. False for TIMESPAN,
    /// SCHEDULE and every unassigned byte (LONG 0x17 included).
    pub fn has_value_encoding(self) -> bool {
        !matches!(
            self,
            BaseType::Timespan | BaseType::Schedule | BaseType::Unknown(_)
        )
    }
}
