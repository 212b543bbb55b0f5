//! Translation between OCPP's typed messages and the domain's values.
//!
//! OCPP enumerations are kept in the domain as OCPP names them (a stop
//! reason, a measurand); [`wire_name`] reads that name off any typed value.

use ocpp::ocpp_types::OcppTimestamp;
use ocpp::{v16, v201};
use serde::Serialize;

use domain::meter::{ENERGY_ACTIVE_IMPORT_REGISTER, normalize_unit};
use domain::{Authorization, AuthorizationStatus, IdToken, IdTokenType, MeterSample, Timestamp};

/// The name OCPP gives a typed value (an enumeration member, usually).
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(e) => format!("<unnamed: {e}>"),
    }
}

/// A wire timestamp as a domain timestamp.
pub fn time(t: &OcppTimestamp) -> Timestamp {
    Timestamp::from_unix_millis(ocpp::timestamp_to_unix_millis(t))
}

/// A domain timestamp as a wire timestamp (UTC).
pub fn wire_time(t: Timestamp) -> OcppTimestamp {
    ocpp::unix_millis_to_timestamp(t.unix_millis())
}

/// A typed 2.0.1 token in domain terms.
pub fn v201_token(token: &v201::IdToken) -> IdToken {
    IdToken { value: token.id_token.as_str().to_owned(), kind: IdTokenType::parse(&wire_name(&token.r#type)) }
}

fn v201_token_type(kind: IdTokenType) -> v201::IdTokenEnum {
    match kind {
        IdTokenType::Central => v201::IdTokenEnum::Central,
        IdTokenType::EMaid => v201::IdTokenEnum::EMAID,
        IdTokenType::Iso14443 => v201::IdTokenEnum::ISO14443,
        IdTokenType::Iso15693 => v201::IdTokenEnum::ISO15693,
        IdTokenType::KeyCode => v201::IdTokenEnum::KeyCode,
        IdTokenType::Local => v201::IdTokenEnum::Local,
        IdTokenType::MacAddress => v201::IdTokenEnum::MacAddress,
        IdTokenType::NoAuthorization => v201::IdTokenEnum::NoAuthorization,
    }
}

/// An authorization as 1.6 `idTagInfo`. A group id longer than 1.6's 20
/// characters cannot be sent and is left out.
pub fn v16_id_tag_info(auth: &Authorization) -> v16::IdTagInfo {
    let status = match auth.status {
        AuthorizationStatus::Accepted => v16::IdTagInfoStatus::Accepted,
        AuthorizationStatus::Blocked => v16::IdTagInfoStatus::Blocked,
        AuthorizationStatus::Expired => v16::IdTagInfoStatus::Expired,
        AuthorizationStatus::Invalid | AuthorizationStatus::Unknown => v16::IdTagInfoStatus::Invalid,
        AuthorizationStatus::ConcurrentTx => v16::IdTagInfoStatus::ConcurrentTx,
    };
    v16::IdTagInfo {
        expiry_date: auth.expires_at.map(wire_time),
        parent_id_tag: auth.group_id.as_deref().and_then(|group| group.try_into().ok()),
        status,
    }
}

/// An authorization as 2.0.1 `idTokenInfo`. The group is sent as a
/// `Central` token, the type OCPP gives CSMS-issued identifiers.
pub fn v201_id_token_info(auth: &Authorization) -> v201::IdTokenInfo {
    let status = match auth.status {
        AuthorizationStatus::Accepted => v201::AuthorizationStatusEnum::Accepted,
        AuthorizationStatus::Blocked => v201::AuthorizationStatusEnum::Blocked,
        AuthorizationStatus::Expired => v201::AuthorizationStatusEnum::Expired,
        AuthorizationStatus::Invalid => v201::AuthorizationStatusEnum::Invalid,
        AuthorizationStatus::Unknown => v201::AuthorizationStatusEnum::Unknown,
        AuthorizationStatus::ConcurrentTx => v201::AuthorizationStatusEnum::ConcurrentTx,
    };
    let group_id_token = auth.group_id.as_deref().and_then(|group| {
        Some(v201::IdToken {
            additional_info: None,
            custom_data: None,
            id_token: group.try_into().ok()?,
            r#type: v201_token_type(IdTokenType::Central),
        })
    });
    v201::IdTokenInfo {
        cache_expiry_date_time: auth.expires_at.map(wire_time),
        charging_priority: None,
        custom_data: None,
        evse_id: None,
        group_id_token,
        language1: None,
        language2: None,
        personal_message: None,
        status,
    }
}

/// 1.6 sampled values (from MeterValues or StopTransaction's
/// `transactionData`) as domain samples.
pub fn v16_samples(timestamp: &OcppTimestamp, values: &[v16::SampledValueItem]) -> Vec<MeterSample> {
    let at = time(timestamp);
    values
        .iter()
        .map(|sampled| {
            let measurand =
                sampled.measurand.as_ref().map_or_else(|| ENERGY_ACTIVE_IMPORT_REGISTER.to_owned(), wire_name);
            let unit = sampled.unit.as_ref().map(wire_name);
            let signed = sampled.format.as_ref().is_some_and(|f| matches!(f, v16::Format::SignedData));
            let (value, unit, signed_data) = if signed {
                (None, unit, Some(sampled.value.clone()))
            } else {
                match sampled.value.trim().parse::<f64>() {
                    Ok(number) if number.is_finite() => {
                        let (value, unit) = normalize_unit(number, unit.as_deref(), 0, &measurand);
                        (Some(value), unit, None)
                    }
                    _ => (None, unit, Some(sampled.value.clone())),
                }
            };
            MeterSample {
                timestamp: at,
                measurand,
                phase: sampled.phase.as_ref().map(wire_name),
                location: sampled.location.as_ref().map(wire_name),
                context: sampled.context.as_ref().map(wire_name),
                value,
                unit,
                signed_data,
            }
        })
        .collect()
}

/// 2.0.1 meter values as domain samples.
pub fn v201_samples(meter_values: &[v201::MeterValue]) -> Vec<MeterSample> {
    meter_values
        .iter()
        .flat_map(|meter_value| {
            let at = time(&meter_value.timestamp);
            meter_value.sampled_value.iter().map(move |sampled| {
                let measurand =
                    sampled.measurand.as_ref().map_or_else(|| ENERGY_ACTIVE_IMPORT_REGISTER.to_owned(), wire_name);
                let (unit, multiplier) = match &sampled.unit_of_measure {
                    Some(measure) => (
                        measure.unit.as_ref().map(|u| u.as_str().to_owned()),
                        measure.multiplier.and_then(|m| i32::try_from(m).ok()).unwrap_or(0),
                    ),
                    None => (None, 0),
                };
                let (value, unit) = normalize_unit(sampled.value, unit.as_deref(), multiplier, &measurand);
                MeterSample {
                    timestamp: at,
                    measurand,
                    phase: sampled.phase.as_ref().map(wire_name),
                    location: sampled.location.as_ref().map(wire_name),
                    context: sampled.context.as_ref().map(wire_name),
                    value: value.is_finite().then_some(value),
                    unit,
                    signed_data: sampled.signed_meter_value.as_ref().map(|s| s.signed_meter_data.clone()),
                }
            })
        })
        .collect()
}
