//! The device model a 2.0.1 station reports about itself (NotifyReport):
//! components, their variables and the variables' attributes.

use crate::time::Timestamp;

/// Where a reported variable lives and what it is called; two reports about
/// the same address replace each other.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VariableAddress {
    /// Component name, e.g. `EVSE` or `OCPPCommCtrlr`.
    pub component: String,
    /// Component instance.
    pub component_instance: Option<String>,
    /// EVSE the component belongs to.
    pub evse: Option<u32>,
    /// Connector the component belongs to.
    pub connector: Option<u32>,
    /// Variable name, e.g. `HeartbeatInterval`.
    pub variable: String,
    /// Variable instance.
    pub variable_instance: Option<String>,
}

/// One attribute of a variable (2.0.1 `variableAttribute`).
#[derive(Debug, Clone, PartialEq)]
pub struct VariableAttribute {
    /// `type`: `Actual`, `Target`, `MinSet` or `MaxSet` (absent means `Actual`).
    pub kind: String,
    /// `value`.
    pub value: Option<String>,
    /// `mutability`: `ReadOnly`, `WriteOnly` or `ReadWrite`.
    pub mutability: Option<String>,
    /// `persistent`.
    pub persistent: Option<bool>,
    /// `constant`.
    pub constant: Option<bool>,
}

/// A variable's characteristics (2.0.1 `variableCharacteristics`).
#[derive(Debug, Clone, PartialEq)]
pub struct VariableCharacteristics {
    /// `unit`.
    pub unit: Option<String>,
    /// `dataType`, e.g. `integer` or `OptionList`.
    pub data_type: String,
    /// `minLimit`.
    pub min_limit: Option<f64>,
    /// `maxLimit`.
    pub max_limit: Option<f64>,
    /// `valuesList`.
    pub values_list: Option<String>,
    /// `supportsMonitoring`.
    pub supports_monitoring: bool,
}

/// A variable as last reported.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedVariable {
    /// Where it lives.
    pub address: VariableAddress,
    /// Its attributes.
    pub attributes: Vec<VariableAttribute>,
    /// Its characteristics, when reported.
    pub characteristics: Option<VariableCharacteristics>,
    /// The report's `generatedAt` (station time).
    pub reported_at: Timestamp,
}
