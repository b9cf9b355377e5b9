//! The CSV export of the costs page: one line per cost record, RFC 4180
//! quoting, amounts with four decimals as stored.

use super::records::CostRecord;

pub const HEADER: &str =
    "period_start,period_end,type,amount_usd,quantity,unit,job_id,job_name,dataset_id,model_id";

fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

pub fn to_csv(records: &[CostRecord]) -> String {
    let mut out = String::with_capacity(64 + records.len() * 160);
    out.push_str(HEADER);
    out.push_str("\r\n");
    let opt = |v: Option<uuid::Uuid>| v.map(|u| u.to_string()).unwrap_or_default();
    for r in records {
        let cells = [
            r.period_start
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            r.period_end
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            r.cost_type.as_str().to_string(),
            format!("{:.4}", r.amount),
            r.quantity.map(|q| format!("{q:.6}")).unwrap_or_default(),
            r.unit.clone().unwrap_or_default(),
            opt(r.job_id),
            r.job_name.clone().unwrap_or_default(),
            opt(r.dataset_id),
            opt(r.model_id),
        ];
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, c);
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::CostType;

    #[test]
    fn quotes_what_needs_quoting() {
        let at = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let job = uuid::Uuid::from_u128(7);
        let csv = to_csv(&[CostRecord {
            id: uuid::Uuid::from_u128(1),
            cost_type: CostType::Compute,
            amount: 0.125,
            quantity: Some(0.5),
            unit: Some("gpu_hours".into()),
            job_id: Some(job),
            job_name: Some("EQ-12, \"v2\"".into()),
            dataset_id: None,
            model_id: None,
            period_start: at,
            period_end: at,
        }]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(
            lines[1],
            format!(
                "2026-05-28T20:26:40Z,2026-05-28T20:26:40Z,compute,0.1250,0.500000,gpu_hours,{job},\"EQ-12, \"\"v2\"\"\",,"
            )
        );
        assert_eq!(lines.len(), 3, "a line per record and a final line end");
    }
}
