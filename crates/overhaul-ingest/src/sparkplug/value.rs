//! Typed metric values: the Sparkplug datatype codes and the conversion between a metric's
//! wire value (`int_value`, `long_value`, `bytes_value`, …) and a Rust value of the declared type.

use super::proto::{self, metric::Value as Wire};

/// The Sparkplug B datatype codes (specification §6.4.16, `DataType` enum of the .proto).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    Unknown = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    UInt8 = 5,
    UInt16 = 6,
    UInt32 = 7,
    UInt64 = 8,
    Float = 9,
    Double = 10,
    Boolean = 11,
    String = 12,
    DateTime = 13,
    Text = 14,
    Uuid = 15,
    DataSet = 16,
    Bytes = 17,
    File = 18,
    Template = 19,
    PropertySet = 20,
    PropertySetList = 21,
    Int8Array = 22,
    Int16Array = 23,
    Int32Array = 24,
    Int64Array = 25,
    UInt8Array = 26,
    UInt16Array = 27,
    UInt32Array = 28,
    UInt64Array = 29,
    FloatArray = 30,
    DoubleArray = 31,
    BooleanArray = 32,
    StringArray = 33,
    DateTimeArray = 34,
}

impl DataType {
    /// The datatype for a wire code; `None` for codes the specification does not define.
    pub fn from_code(code: u32) -> Option<DataType> {
        use DataType::*;
        const ALL: [DataType; 35] = [
            Unknown,
            Int8,
            Int16,
            Int32,
            Int64,
            UInt8,
            UInt16,
            UInt32,
            UInt64,
            Float,
            Double,
            Boolean,
            String,
            DateTime,
            Text,
            Uuid,
            DataSet,
            Bytes,
            File,
            Template,
            PropertySet,
            PropertySetList,
            Int8Array,
            Int16Array,
            Int32Array,
            Int64Array,
            UInt8Array,
            UInt16Array,
            UInt32Array,
            UInt64Array,
            FloatArray,
            DoubleArray,
            BooleanArray,
            StringArray,
            DateTimeArray,
        ];
        ALL.get(usize::try_from(code).ok()?).copied()
    }

    pub fn code(self) -> u32 {
        self as u32
    }
}

/// A metric value decoded according to its datatype.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricValue {
    Null,
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    UInt8(u8),
    UInt16(u16),
    UInt32(u32),
    UInt64(u64),
    Float(f32),
    Double(f64),
    Boolean(bool),
    String(String),
    /// Milliseconds since the Unix epoch.
    DateTime(u64),
    Text(String),
    Uuid(String),
    Bytes(Vec<u8>),
    File(Vec<u8>),
    DataSet(proto::DataSet),
    Template(proto::Template),
    Int8Array(Vec<i8>),
    Int16Array(Vec<i16>),
    Int32Array(Vec<i32>),
    Int64Array(Vec<i64>),
    UInt8Array(Vec<u8>),
    UInt16Array(Vec<u16>),
    UInt32Array(Vec<u32>),
    UInt64Array(Vec<u64>),
    FloatArray(Vec<f32>),
    DoubleArray(Vec<f64>),
    BooleanArray(Vec<bool>),
    StringArray(Vec<String>),
    DateTimeArray(Vec<u64>),
}

/// Why a metric's wire value does not fit its declared datatype.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("unknown datatype code {0}")]
    UnknownDataType(u32),
    #[error("no datatype given in the metric or its birth")]
    MissingDataType,
    #[error("value carrier does not match datatype {0:?}")]
    Mismatch(DataType),
    #[error("array of datatype {0:?} has a length that is not a whole number of elements")]
    BadArray(DataType),
    #[error("datatype {0:?} is not a metric value type")]
    Unsupported(DataType),
}

impl MetricValue {
    /// The value as a number for a sample: numeric types as such, booleans as 1/0, date-times as
    /// their millisecond count. `None` for strings, bytes, arrays and structures.
    pub fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            MetricValue::Int8(v) => f64::from(v),
            MetricValue::Int16(v) => f64::from(v),
            MetricValue::Int32(v) => f64::from(v),
            // Precision loss above 2^53 is accepted: samples are f64 by design.
            MetricValue::Int64(v) => v as f64,
            MetricValue::UInt8(v) => f64::from(v),
            MetricValue::UInt16(v) => f64::from(v),
            MetricValue::UInt32(v) => f64::from(v),
            MetricValue::UInt64(v) => v as f64,
            MetricValue::Float(v) => f64::from(v),
            MetricValue::Double(v) => v,
            MetricValue::Boolean(b) => {
                if b {
                    1.0
                } else {
                    0.0
                }
            }
            _ => return None,
        })
    }

    /// The datatype this value is encoded as (`Unknown` for `Null`).
    pub fn datatype(&self) -> DataType {
        use MetricValue as V;
        match self {
            V::Null => DataType::Unknown,
            V::Int8(_) => DataType::Int8,
            V::Int16(_) => DataType::Int16,
            V::Int32(_) => DataType::Int32,
            V::Int64(_) => DataType::Int64,
            V::UInt8(_) => DataType::UInt8,
            V::UInt16(_) => DataType::UInt16,
            V::UInt32(_) => DataType::UInt32,
            V::UInt64(_) => DataType::UInt64,
            V::Float(_) => DataType::Float,
            V::Double(_) => DataType::Double,
            V::Boolean(_) => DataType::Boolean,
            V::String(_) => DataType::String,
            V::DateTime(_) => DataType::DateTime,
            V::Text(_) => DataType::Text,
            V::Uuid(_) => DataType::Uuid,
            V::Bytes(_) => DataType::Bytes,
            V::File(_) => DataType::File,
            V::DataSet(_) => DataType::DataSet,
            V::Template(_) => DataType::Template,
            V::Int8Array(_) => DataType::Int8Array,
            V::Int16Array(_) => DataType::Int16Array,
            V::Int32Array(_) => DataType::Int32Array,
            V::Int64Array(_) => DataType::Int64Array,
            V::UInt8Array(_) => DataType::UInt8Array,
            V::UInt16Array(_) => DataType::UInt16Array,
            V::UInt32Array(_) => DataType::UInt32Array,
            V::UInt64Array(_) => DataType::UInt64Array,
            V::FloatArray(_) => DataType::FloatArray,
            V::DoubleArray(_) => DataType::DoubleArray,
            V::BooleanArray(_) => DataType::BooleanArray,
            V::StringArray(_) => DataType::StringArray,
            V::DateTimeArray(_) => DataType::DateTimeArray,
        }
    }

    /// Decode a metric's value given its datatype code (from the metric itself or, for DATA
    /// messages that omit it, from the BIRTH). `is_null` wins over any carried value.
    pub fn decode(metric: &proto::Metric, datatype: Option<u32>) -> Result<Self, ValueError> {
        if metric.is_null == Some(true) {
            return Ok(MetricValue::Null);
        }
        let code = datatype.ok_or(ValueError::MissingDataType)?;
        let dt = DataType::from_code(code).ok_or(ValueError::UnknownDataType(code))?;
        let Some(wire) = &metric.value else {
            // A metric without a value and without is_null: treat as null, as Tahu does.
            return Ok(MetricValue::Null);
        };
        let mismatch = || ValueError::Mismatch(dt);
        use DataType as D;
        use MetricValue as V;
        // Signed types travel as two's-complement bit patterns in the unsigned carriers; the
        // narrowing casts below are exactly that reinterpretation.
        Ok(match (dt, wire) {
            (D::Int8, Wire::IntValue(v)) => V::Int8(*v as u8 as i8),
            (D::Int16, Wire::IntValue(v)) => V::Int16(*v as u16 as i16),
            (D::Int32, Wire::IntValue(v)) => V::Int32(*v as i32),
            (D::Int64, Wire::LongValue(v)) => V::Int64(*v as i64),
            (D::UInt8, Wire::IntValue(v)) => V::UInt8(u8::try_from(*v).map_err(|_| mismatch())?),
            (D::UInt16, Wire::IntValue(v)) => V::UInt16(u16::try_from(*v).map_err(|_| mismatch())?),
            (D::UInt32, Wire::IntValue(v)) => V::UInt32(*v),
            (D::UInt32, Wire::LongValue(v)) => {
                V::UInt32(u32::try_from(*v).map_err(|_| mismatch())?)
            }
            (D::UInt64, Wire::LongValue(v)) => V::UInt64(*v),
            (D::DateTime, Wire::LongValue(v)) => V::DateTime(*v),
            (D::Float, Wire::FloatValue(v)) => V::Float(*v),
            (D::Double, Wire::DoubleValue(v)) => V::Double(*v),
            (D::Boolean, Wire::BooleanValue(v)) => V::Boolean(*v),
            (D::String, Wire::StringValue(s)) => V::String(s.clone()),
            (D::Text, Wire::StringValue(s)) => V::Text(s.clone()),
            (D::Uuid, Wire::StringValue(s)) => V::Uuid(s.clone()),
            (D::Bytes, Wire::BytesValue(b)) => V::Bytes(b.clone()),
            (D::File, Wire::BytesValue(b)) => V::File(b.clone()),
            (D::DataSet, Wire::DatasetValue(d)) => V::DataSet(d.clone()),
            (D::Template, Wire::TemplateValue(t)) => V::Template(t.clone()),
            (
                D::Int8Array
                | D::Int16Array
                | D::Int32Array
                | D::Int64Array
                | D::UInt8Array
                | D::UInt16Array
                | D::UInt32Array
                | D::UInt64Array
                | D::FloatArray
                | D::DoubleArray
                | D::BooleanArray
                | D::StringArray
                | D::DateTimeArray,
                Wire::BytesValue(b),
            ) => decode_array(dt, b)?,
            (D::Unknown | D::PropertySet | D::PropertySetList, _) => {
                return Err(ValueError::Unsupported(dt));
            }
            _ => return Err(mismatch()),
        })
    }

    /// The wire form of this value: its datatype code and value carrier (`None` with
    /// `is_null` for `Null`).
    pub fn encode(&self) -> (Option<Wire>, bool) {
        use MetricValue as V;
        let w = match self {
            V::Null => return (None, true),
            V::Int8(v) => Wire::IntValue(*v as i32 as u32),
            V::Int16(v) => Wire::IntValue(*v as i32 as u32),
            V::Int32(v) => Wire::IntValue(*v as u32),
            V::Int64(v) => Wire::LongValue(*v as u64),
            V::UInt8(v) => Wire::IntValue(u32::from(*v)),
            V::UInt16(v) => Wire::IntValue(u32::from(*v)),
            V::UInt32(v) => Wire::IntValue(*v),
            V::UInt64(v) | V::DateTime(v) => Wire::LongValue(*v),
            V::Float(v) => Wire::FloatValue(*v),
            V::Double(v) => Wire::DoubleValue(*v),
            V::Boolean(v) => Wire::BooleanValue(*v),
            V::String(s) | V::Text(s) | V::Uuid(s) => Wire::StringValue(s.clone()),
            V::Bytes(b) | V::File(b) => Wire::BytesValue(b.clone()),
            V::DataSet(d) => Wire::DatasetValue(d.clone()),
            V::Template(t) => Wire::TemplateValue(t.clone()),
            V::Int8Array(a) => Wire::BytesValue(a.iter().map(|v| *v as u8).collect()),
            V::Int16Array(a) => Wire::BytesValue(le(a, |v| v.to_le_bytes())),
            V::Int32Array(a) => Wire::BytesValue(le(a, |v| v.to_le_bytes())),
            V::Int64Array(a) => Wire::BytesValue(le(a, |v| v.to_le_bytes())),
            V::UInt8Array(a) => Wire::BytesValue(a.clone()),
            V::UInt16Array(a) => Wire::BytesValue(le(a, |v| v.to_le_bytes())),
            V::UInt32Array(a) => Wire::BytesValue(le(a, |v| v.to_le_bytes())),
            V::UInt64Array(a) | V::DateTimeArray(a) => Wire::BytesValue(le(a, |v| v.to_le_bytes())),
            V::FloatArray(a) => Wire::BytesValue(le(a, |v| v.to_le_bytes())),
            V::DoubleArray(a) => Wire::BytesValue(le(a, |v| v.to_le_bytes())),
            V::BooleanArray(a) => {
                // A 4-byte little-endian count, then the values packed MSB-first into bytes.
                let mut out = u32::try_from(a.len())
                    .unwrap_or(u32::MAX)
                    .to_le_bytes()
                    .to_vec();
                for chunk in a.chunks(8) {
                    let mut byte = 0u8;
                    for (i, b) in chunk.iter().enumerate() {
                        if *b {
                            byte |= 0x80 >> i;
                        }
                    }
                    out.push(byte);
                }
                Wire::BytesValue(out)
            }
            V::StringArray(a) => {
                let mut out = Vec::new();
                for s in a {
                    out.extend_from_slice(s.as_bytes());
                    out.push(0);
                }
                Wire::BytesValue(out)
            }
        };
        (Some(w), false)
    }
}

fn le<T: Copy, const N: usize>(values: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    values.iter().flat_map(|v| f(*v)).collect()
}

fn chunks<const N: usize>(dt: DataType, b: &[u8]) -> Result<Vec<[u8; N]>, ValueError> {
    if !b.len().is_multiple_of(N) {
        return Err(ValueError::BadArray(dt));
    }
    Ok(b.chunks_exact(N)
        .map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            a
        })
        .collect())
}

fn decode_array(dt: DataType, b: &[u8]) -> Result<MetricValue, ValueError> {
    use DataType as D;
    use MetricValue as V;
    Ok(match dt {
        D::Int8Array => V::Int8Array(b.iter().map(|v| *v as i8).collect()),
        D::UInt8Array => V::UInt8Array(b.to_vec()),
        D::Int16Array => {
            V::Int16Array(chunks(dt, b)?.into_iter().map(i16::from_le_bytes).collect())
        }
        D::UInt16Array => {
            V::UInt16Array(chunks(dt, b)?.into_iter().map(u16::from_le_bytes).collect())
        }
        D::Int32Array => {
            V::Int32Array(chunks(dt, b)?.into_iter().map(i32::from_le_bytes).collect())
        }
        D::UInt32Array => {
            V::UInt32Array(chunks(dt, b)?.into_iter().map(u32::from_le_bytes).collect())
        }
        D::Int64Array => {
            V::Int64Array(chunks(dt, b)?.into_iter().map(i64::from_le_bytes).collect())
        }
        D::UInt64Array => {
            V::UInt64Array(chunks(dt, b)?.into_iter().map(u64::from_le_bytes).collect())
        }
        D::DateTimeArray => {
            V::DateTimeArray(chunks(dt, b)?.into_iter().map(u64::from_le_bytes).collect())
        }
        D::FloatArray => {
            V::FloatArray(chunks(dt, b)?.into_iter().map(f32::from_le_bytes).collect())
        }
        D::DoubleArray => {
            V::DoubleArray(chunks(dt, b)?.into_iter().map(f64::from_le_bytes).collect())
        }
        D::BooleanArray => {
            let (count, bits) = b.split_at_checked(4).ok_or(ValueError::BadArray(dt))?;
            let mut n = [0u8; 4];
            n.copy_from_slice(count);
            let n = usize::try_from(u32::from_le_bytes(n)).map_err(|_| ValueError::BadArray(dt))?;
            if bits.len() != n.div_ceil(8) {
                return Err(ValueError::BadArray(dt));
            }
            V::BooleanArray(
                (0..n)
                    .map(|i| bits[i / 8] & (0x80 >> (i % 8)) != 0)
                    .collect(),
            )
        }
        D::StringArray => {
            let Some(body) = b.strip_suffix(&[0]) else {
                if b.is_empty() {
                    return Ok(V::StringArray(Vec::new()));
                }
                return Err(ValueError::BadArray(dt));
            };
            let mut out = Vec::new();
            for part in body.split(|c| *c == 0) {
                out.push(String::from_utf8(part.to_vec()).map_err(|_| ValueError::BadArray(dt))?);
            }
            V::StringArray(out)
        }
        _ => return Err(ValueError::Unsupported(dt)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(dt: DataType, v: &MetricValue) -> proto::Metric {
        let (value, is_null) = v.encode();
        proto::Metric {
            datatype: Some(dt.code()),
            value,
            is_null: is_null.then_some(true),
            ..Default::default()
        }
    }

    #[test]
    fn int32_array_matches_the_specification_example() {
        // Sparkplug 3.0 §6.4.17: Int32Array [123456789, 987654321] → 15 CD 5B 07 B1 68 DE 3A.
        let (w, _) = MetricValue::Int32Array(vec![123_456_789, 987_654_321]).encode();
        assert_eq!(
            w,
            Some(Wire::BytesValue(vec![
                0x15, 0xCD, 0x5B, 0x07, 0xB1, 0x68, 0xDE, 0x3A
            ]))
        );
    }

    #[test]
    fn boolean_array_is_count_then_msb_first_bits() {
        // Sparkplug 3.0 §6.4.17 example: [F, F, T, T, F, T, F, F, T, T, F, T]
        // → 0C 00 00 00 34 D0 (0011_0100, 1101_0000).
        let v = MetricValue::BooleanArray(vec![
            false, false, true, true, false, true, false, false, true, true, false, true,
        ]);
        let (w, _) = v.encode();
        assert_eq!(w, Some(Wire::BytesValue(vec![0x0C, 0, 0, 0, 0x34, 0xD0])));
        assert_eq!(
            MetricValue::decode(&metric(DataType::BooleanArray, &v), Some(32)),
            Ok(v)
        );
    }

    #[test]
    fn every_scalar_round_trips_through_its_wire_form() {
        let cases = [
            MetricValue::Int8(-1),
            MetricValue::Int8(i8::MIN),
            MetricValue::Int16(-12345),
            MetricValue::Int32(i32::MIN),
            MetricValue::Int64(-5),
            MetricValue::UInt8(255),
            MetricValue::UInt16(65535),
            MetricValue::UInt32(u32::MAX),
            MetricValue::UInt64(u64::MAX),
            MetricValue::Float(1.5),
            MetricValue::Double(-2.25),
            MetricValue::Boolean(true),
            MetricValue::String("s".into()),
            MetricValue::DateTime(1_700_000_000_000),
            MetricValue::Text("t".into()),
            MetricValue::Uuid("u".into()),
            MetricValue::Bytes(vec![1, 2]),
            MetricValue::StringArray(vec!["a".into(), String::new(), "ccc".into()]),
            MetricValue::DoubleArray(vec![1.0, -0.5]),
            MetricValue::Int16Array(vec![-2, 3]),
        ];
        for v in cases {
            let m = metric(v.datatype(), &v);
            assert_eq!(MetricValue::decode(&m, m.datatype), Ok(v.clone()), "{v:?}");
        }
    }

    #[test]
    fn int8_minus_one_is_the_32_bit_twos_complement_pattern() {
        let (w, _) = MetricValue::Int8(-1).encode();
        assert_eq!(w, Some(Wire::IntValue(0xFFFF_FFFF)));
    }

    #[test]
    fn mismatches_are_typed_errors() {
        let m = proto::Metric {
            datatype: Some(10),
            value: Some(Wire::StringValue("x".into())),
            ..Default::default()
        };
        assert_eq!(
            MetricValue::decode(&m, Some(10)),
            Err(ValueError::Mismatch(DataType::Double))
        );
        assert_eq!(
            MetricValue::decode(&m, Some(99)),
            Err(ValueError::UnknownDataType(99))
        );
        assert_eq!(
            MetricValue::decode(&m, None),
            Err(ValueError::MissingDataType)
        );
        let big = proto::Metric {
            value: Some(Wire::IntValue(256)),
            ..Default::default()
        };
        assert_eq!(
            MetricValue::decode(&big, Some(5)),
            Err(ValueError::Mismatch(DataType::UInt8))
        );
        let odd = proto::Metric {
            value: Some(Wire::BytesValue(vec![1, 2, 3])),
            ..Default::default()
        };
        assert_eq!(
            MetricValue::decode(&odd, Some(24)),
            Err(ValueError::BadArray(DataType::Int32Array))
        );
    }

    #[test]
    fn null_wins_and_numbers_convert() {
        let m = proto::Metric {
            is_null: Some(true),
            value: Some(Wire::DoubleValue(1.0)),
            ..Default::default()
        };
        assert_eq!(MetricValue::decode(&m, Some(10)), Ok(MetricValue::Null));
        assert_eq!(MetricValue::Boolean(true).as_f64(), Some(1.0));
        assert_eq!(MetricValue::Int16(-3).as_f64(), Some(-3.0));
        assert_eq!(MetricValue::String("1".into()).as_f64(), None);
    }
}
