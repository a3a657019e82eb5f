//! Our hand-written prost messages and the reference `sparkplug_b.proto` (compiled here, at test
//! time, with protox; read with prost-reflect) decode each other's bytes.

use crate::support::shared;
use overhaul_ingest::sparkplug::proto::{
    self, DataSet, DataSetRow, DataSetValue, MetaData, Payload, PropertySet, PropertySetList,
    PropertyValue, Template, TemplateParameter,
};
use overhaul_ingest::sparkplug::{self as sp, DataType, MetricValue, metric};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, Value};

fn reference() -> Option<(DescriptorPool, MessageDescriptor)> {
    let file = shared("standards/sparkplug/sparkplug_b.proto")?;
    let dir = file.parent().expect("a directory");
    let pool = protox::Compiler::new([dir])
        .expect("compiler")
        .include_imports(true)
        .open_file("sparkplug_b.proto")
        .expect("the reference .proto compiles")
        .descriptor_pool();
    let payload = pool
        .get_message_by_name("org.eclipse.tahu.protobuf.Payload")
        .expect("Payload message");
    Some((pool, payload))
}

fn all_scalars_birth() -> Payload {
    let scalars = [
        MetricValue::Int8(-1),
        MetricValue::Int16(-300),
        MetricValue::Int32(i32::MIN),
        MetricValue::Int64(-7),
        MetricValue::UInt8(200),
        MetricValue::UInt16(60_000),
        MetricValue::UInt32(u32::MAX),
        MetricValue::UInt64(u64::MAX),
        MetricValue::Float(1.25),
        MetricValue::Double(-1e300),
        MetricValue::Boolean(true),
        MetricValue::String("str".into()),
        MetricValue::DateTime(1_700_000_000_123),
        MetricValue::Text("text".into()),
        MetricValue::Uuid("0b6f9d16-0000-4000-8000-000000000000".into()),
        MetricValue::Bytes(vec![0, 1, 255]),
        MetricValue::File(vec![9, 9]),
        MetricValue::Int32Array(vec![123_456_789, 987_654_321]),
        MetricValue::BooleanArray(vec![true, false, true]),
        MetricValue::StringArray(vec!["a".into(), "bc".into()]),
    ];
    let mut metrics = vec![
        metric(Some("bdSeq"), None, &MetricValue::Int64(3)),
        metric(
            Some("Node Control/Rebirth"),
            None,
            &MetricValue::Boolean(false),
        ),
    ];
    for (i, v) in scalars.iter().enumerate() {
        let mut m = metric(Some(&format!("m/{i}")), Some(100 + i as u64), v);
        m.timestamp = Some(1_700_000_000_000 + i as u64);
        metrics.push(m);
    }
    // A null with its datatype, historical and transient flags, metadata and properties.
    let mut null = metric(Some("nullable"), Some(7), &MetricValue::Null);
    null.datatype = Some(DataType::Double.code());
    null.is_historical = Some(true);
    null.is_transient = Some(false);
    null.metadata = Some(MetaData {
        is_multi_part: Some(false),
        content_type: Some("text/plain".into()),
        size: Some(12),
        seq: Some(0),
        file_name: Some("f.txt".into()),
        file_type: Some("txt".into()),
        md5: Some("d41d8cd98f00b204e9800998ecf8427e".into()),
        description: Some("d".into()),
    });
    null.properties = Some(PropertySet {
        keys: vec!["Quality".into(), "Engineering".into(), "limits".into()],
        values: vec![
            PropertyValue {
                r#type: Some(3),
                is_null: None,
                value: Some(proto::property_value::Value::IntValue(192)),
            },
            PropertyValue {
                r#type: Some(20),
                is_null: None,
                value: Some(proto::property_value::Value::PropertysetValue(
                    PropertySet {
                        keys: vec!["unit".into()],
                        values: vec![PropertyValue {
                            r#type: Some(12),
                            is_null: None,
                            value: Some(proto::property_value::Value::StringValue("mm/s".into())),
                        }],
                    },
                )),
            },
            PropertyValue {
                r#type: Some(21),
                is_null: Some(false),
                value: Some(proto::property_value::Value::PropertysetsValue(
                    PropertySetList {
                        propertyset: vec![PropertySet::default()],
                    },
                )),
            },
        ],
    });
    metrics.push(null);
    let dataset = DataSet {
        num_of_columns: Some(2),
        columns: vec!["a".into(), "b".into()],
        types: vec![DataType::Int32.code(), DataType::String.code()],
        rows: vec![DataSetRow {
            elements: vec![
                DataSetValue {
                    value: Some(proto::data_set_value::Value::IntValue(5)),
                },
                DataSetValue {
                    value: Some(proto::data_set_value::Value::StringValue("x".into())),
                },
            ],
        }],
    };
    metrics.push(metric(
        Some("table"),
        Some(8),
        &MetricValue::DataSet(dataset),
    ));
    let template = Template {
        version: Some("1".into()),
        metrics: vec![metric(Some("inner"), None, &MetricValue::Int16(4))],
        parameters: vec![TemplateParameter {
            name: Some("p".into()),
            r#type: Some(DataType::Double.code()),
            value: Some(proto::template_parameter::Value::DoubleValue(0.5)),
        }],
        template_ref: Some("Motor".into()),
        is_definition: Some(false),
    };
    metrics.push(metric(
        Some("motor"),
        Some(9),
        &MetricValue::Template(template),
    ));
    Payload {
        timestamp: Some(1_700_000_000_000),
        metrics,
        seq: Some(0),
        uuid: Some("u-1".into()),
        body: Some(vec![1, 2, 3]),
    }
}

fn samples() -> Vec<(&'static str, Payload)> {
    let data_by_alias = Payload {
        timestamp: Some(1_700_000_000_500),
        seq: Some(255),
        metrics: vec![
            metric(None, Some(100), &MetricValue::Int8(-128)),
            metric(None, Some(108), &MetricValue::Float(-0.0)),
            metric(None, Some(7), &MetricValue::Null),
        ],
        ..Default::default()
    };
    let death = Payload {
        timestamp: Some(1_700_000_001_000),
        metrics: vec![metric(Some("bdSeq"), None, &MetricValue::Int64(3))],
        ..Default::default()
    };
    vec![
        ("birth with every type", all_scalars_birth()),
        ("data by alias", data_by_alias),
        ("death", death),
        ("rebirth command", sp::rebirth_command(1_700_000_002_000)),
        ("empty", Payload::default()),
    ]
}

fn field<'a>(m: &'a DynamicMessage, name: &str) -> std::borrow::Cow<'a, Value> {
    m.get_field_by_name(name).expect("field in the schema")
}

#[test]
fn our_bytes_decode_with_the_reference_schema_and_back() {
    let Some((_pool, desc)) = reference() else {
        return;
    };
    for (what, ours) in samples() {
        let bytes = ours.encode_to_vec();
        let dynamic = DynamicMessage::decode(desc.clone(), bytes.as_slice())
            .unwrap_or_else(|e| panic!("{what}: reference cannot decode our bytes: {e}"));
        // Nothing we wrote is unknown to the reference schema.
        assert_eq!(
            dynamic.unknown_fields().count(),
            0,
            "{what}: unknown fields at the top"
        );
        // The reference schema re-encodes to the same bytes: same field numbers, wire types,
        // packing and order.
        assert_eq!(
            dynamic.encode_to_vec(),
            bytes,
            "{what}: reference re-encoding differs"
        );
        assert_eq!(
            Payload::decode(dynamic.encode_to_vec().as_slice()).unwrap(),
            ours,
            "{what}"
        );
        // Spot checks through reflection.
        assert_eq!(
            field(&dynamic, "timestamp").as_u64(),
            ours.timestamp.or(Some(0))
        );
        assert_eq!(
            dynamic.has_field_by_name("seq"),
            ours.seq.is_some(),
            "{what}: seq presence"
        );
        let metrics = field(&dynamic, "metrics");
        let metrics = metrics.as_list().unwrap();
        assert_eq!(metrics.len(), ours.metrics.len());
        for (dm, om) in metrics.iter().zip(&ours.metrics) {
            let dm = dm.as_message().unwrap();
            assert_eq!(
                dm.has_field_by_name("name"),
                om.name.is_some(),
                "{what}: name presence"
            );
            if let Some(alias) = om.alias {
                assert_eq!(field(dm, "alias").as_u64(), Some(alias));
            }
            assert_eq!(
                dm.get_field_by_name("is_null")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
                om.is_null == Some(true)
            );
        }
    }
}

#[test]
fn reference_bytes_decode_with_our_types() {
    let Some((pool, desc)) = reference() else {
        return;
    };
    let metric_desc = pool
        .get_message_by_name("org.eclipse.tahu.protobuf.Payload.Metric")
        .expect("Metric");
    let mk = |fields: &[(&str, Value)]| {
        let mut m = DynamicMessage::new(metric_desc.clone());
        for (k, v) in fields {
            m.set_field_by_name(k, v.clone());
        }
        Value::Message(m)
    };
    let mut p = DynamicMessage::new(desc.clone());
    p.set_field_by_name("timestamp", Value::U64(1_700_000_000_000));
    p.set_field_by_name("seq", Value::U64(0));
    p.set_field_by_name(
        "metrics",
        Value::List(vec![
            mk(&[
                ("name", Value::String("bdSeq".into())),
                ("datatype", Value::U32(4)),
                ("long_value", Value::U64(12)),
            ]),
            mk(&[
                ("name", Value::String("temp".into())),
                ("alias", Value::U64(1)),
                ("datatype", Value::U32(9)),
                ("float_value", Value::F32(21.5)),
            ]),
            mk(&[
                ("name", Value::String("level".into())),
                ("alias", Value::U64(2)),
                ("datatype", Value::U32(2)),
                ("int_value", Value::U32(0xFFFF_FF85)), // -123 as Int16
            ]),
            mk(&[
                ("name", Value::String("gone".into())),
                ("datatype", Value::U32(12)),
                ("is_null", Value::Bool(true)),
            ]),
            mk(&[
                ("alias", Value::U64(3)),
                ("datatype", Value::U32(11)),
                ("boolean_value", Value::Bool(true)),
                ("is_historical", Value::Bool(true)),
            ]),
            mk(&[
                ("name", Value::String("raw".into())),
                ("datatype", Value::U32(26)),
                ("bytes_value", Value::Bytes(vec![1u8, 2, 3].into())),
            ]),
        ]),
    );
    let ours = Payload::decode(p.encode_to_vec().as_slice()).expect("we decode reference bytes");
    assert_eq!(ours.timestamp, Some(1_700_000_000_000));
    assert_eq!(ours.seq, Some(0));
    let typed: Vec<MetricValue> = ours
        .metrics
        .iter()
        .map(|m| MetricValue::decode(m, m.datatype).unwrap())
        .collect();
    assert_eq!(
        typed,
        vec![
            MetricValue::Int64(12),
            MetricValue::Float(21.5),
            MetricValue::Int16(-123),
            MetricValue::Null,
            MetricValue::Boolean(true),
            MetricValue::UInt8Array(vec![1, 2, 3]),
        ]
    );
    assert_eq!(ours.metrics[1].alias, Some(1));
    assert_eq!(ours.metrics[4].name, None);
    assert_eq!(ours.metrics[4].is_historical, Some(true));
    // And our re-encoding is byte-identical to the reference's.
    assert_eq!(ours.encode_to_vec(), p.encode_to_vec());
}

#[test]
fn datatype_codes_match_the_reference_enum() {
    let Some((pool, _)) = reference() else {
        return;
    };
    let e = pool
        .get_enum_by_name("org.eclipse.tahu.protobuf.DataType")
        .expect("DataType enum");
    let mut n = 0;
    for v in e.values() {
        let code = u32::try_from(v.number()).unwrap();
        let ours = DataType::from_code(code).unwrap_or_else(|| panic!("code {code} missing"));
        assert_eq!(
            format!("{ours:?}").to_lowercase(),
            v.name().to_lowercase(),
            "code {code}"
        );
        n += 1;
    }
    assert_eq!(n, 35);
    assert_eq!(DataType::from_code(35), None);
}
