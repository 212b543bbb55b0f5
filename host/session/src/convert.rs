//! Translation between OCPP's typed messages and the domain's values.
//!
//! OCPP enumerations are kept in the domain as OCPP names them (a stop
//! reason, a measurand); [`wire_name`] reads that name off any typed value.

use ocpp::ocpp_types::OcppTimestamp;
use ocpp::{v16, v201};
use serde::Serialize;

use domain::meter::{ENERGY_ACTIVE_IMPORT_REGISTER, ImplausibleReading, normalize_reading};
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
/// `transactionData`) as domain samples, each checked
/// ([`domain::meter::normalize_reading`]): a value that is not `SignedData`
/// must be a decimal number that makes sense.
pub fn v16_samples(
    timestamp: &OcppTimestamp,
    values: &[v16::SampledValueItem],
) -> Result<Vec<MeterSample>, ImplausibleReading> {
    let at = time(timestamp);
    values
        .iter()
        .map(|sampled| -> Result<MeterSample, ImplausibleReading> {
            let measurand =
                sampled.measurand.as_ref().map_or_else(|| ENERGY_ACTIVE_IMPORT_REGISTER.to_owned(), wire_name);
            let unit = sampled.unit.as_ref().map(wire_name);
            let signed = sampled.format.as_ref().is_some_and(|f| matches!(f, v16::Format::SignedData));
            let (value, unit, signed_data) = if signed {
                (None, unit, Some(sampled.value.clone()))
            } else {
                let number = sampled
                    .value
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| ImplausibleReading::not_a_number(&measurand, &sampled.value))?;
                let (value, unit) = normalize_reading(number, unit.as_deref(), 0, &measurand)?;
                (Some(value), unit, None)
            };
            Ok(MeterSample {
                timestamp: at,
                measurand,
                phase: sampled.phase.as_ref().map(wire_name),
                location: sampled.location.as_ref().map(wire_name),
                context: sampled.context.as_ref().map(wire_name),
                value,
                unit,
                signed_data,
            })
        })
        .collect()
}

/// 2.0.1 meter values as domain samples, each checked
/// ([`domain::meter::normalize_reading`]).
pub fn v201_samples(meter_values: &[v201::MeterValue]) -> Result<Vec<MeterSample>, ImplausibleReading> {
    let mut samples = Vec::new();
    for meter_value in meter_values {
        let at = time(&meter_value.timestamp);
        for sampled in &meter_value.sampled_value {
            let measurand =
                sampled.measurand.as_ref().map_or_else(|| ENERGY_ACTIVE_IMPORT_REGISTER.to_owned(), wire_name);
            let (unit, multiplier) = match &sampled.unit_of_measure {
                Some(measure) => (
                    measure.unit.as_ref().map(|u| u.as_str().to_owned()),
                    // A multiplier beyond i32 saturates; the checked value then
                    // is infinite or zero, as it would be exactly.
                    measure.multiplier.map_or(0, |m| {
                        i32::try_from(m).unwrap_or(if m < 0 { i32::MIN } else { i32::MAX })
                    }),
                ),
                None => (None, 0),
            };
            let (value, unit) = normalize_reading(sampled.value, unit.as_deref(), multiplier, &measurand)?;
            samples.push(MeterSample {
                timestamp: at,
                measurand,
                phase: sampled.phase.as_ref().map(wire_name),
                location: sampled.location.as_ref().map(wire_name),
                context: sampled.context.as_ref().map(wire_name),
                value: Some(value),
                unit,
                signed_data: sampled.signed_meter_value.as_ref().map(|s| s.signed_meter_data.clone()),
            });
        }
    }
    Ok(samples)
}
