//! Reads a node's `/metrics` page (the Prometheus text format the node writes) into samples:
//! a name, its labels and a value per line. Comments and malformed lines are skipped.

use std::collections::BTreeMap;

/// One sample of a scrape.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series name, suffix included (`seckiller_purchases_total`).
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
}

/// Every sample of `text`.
pub fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(sample)
        .collect()
}

fn sample(line: &str) -> Option<Sample> {
    let (series, value) = line.trim().rsplit_once(' ')?;
    let value = value.parse().ok()?;
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => (name, labels(rest.strip_suffix('}')?)?),
        None => (series, BTreeMap::new()),
    };
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// `a="x",b="y \"quoted\""` as a map.
fn labels(mut text: &str) -> Option<BTreeMap<String, String>> {
    let mut labels = BTreeMap::new();
    while !text.is_empty() {
        let (key, rest) = text.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, c) => value.push(c),
            }
        };
        labels.insert(key.trim_start_matches(',').to_owned(), value);
        text = rest.get(end + 1..)?.trim_start_matches(',');
    }
    Some(labels)
}

/// The samples of one scrape, looked up by name and labels.
#[derive(Debug, Clone, Default)]
pub struct Scrape(Vec<Sample>);

impl Scrape {
    /// A scrape of `text`.
    pub fn of(text: &str) -> Self {
        Self(parse(text))
    }

    /// The samples named `name` whose labels include every pair of `with`.
    pub fn all<'a>(
        &'a self,
        name: &'a str,
        with: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.0.iter().filter(move |s| {
            s.name == name
                && with
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).is_some_and(|l| l == v))
        })
    }

    /// The sum of those samples; `None` when there is none.
    pub fn sum(&self, name: &str, with: &[(&str, &str)]) -> Option<f64> {
        let mut found = false;
        let total = self
            .all(name, with)
            .inspect(|_| found = true)
            .map(|s| s.value)
            .sum();
        found.then_some(total)
    }

    /// Every value the label `label` takes on samples named `name`.
    pub fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        let mut values: Vec<String> = self
            .all(name, &[])
            .filter_map(|s| s.labels.get(label).cloned())
            .collect();
        values.sort();
        values.dedup();
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_read_with_their_labels_and_comments_skipped() {
        let text = "# HELP x y\n\
                    seckiller_queue_lag_purchases 3\n\
                    seckiller_purchases_total{sale=\"a\",outcome=\"accepted\"} 7\n\
                    weird{k=\"say \\\"hi\\\", ok\"} 1.5\n\
                    broken{k=\"x\" nope\n";
        let samples = parse(text);
        assert_eq!(samples.len(), 3);
        assert_eq!(samples[0].name, "seckiller_queue_lag_purchases");
        assert_eq!(samples[0].value, 3.0);
        assert_eq!(samples[1].labels["outcome"], "accepted");
        assert_eq!(samples[2].labels["k"], "say \"hi\", ok");
        let scrape = Scrape::of(text);
        assert_eq!(
            scrape.sum("seckiller_purchases_total", &[("sale", "a")]),
            Some(7.0)
        );
        assert_eq!(
            scrape.sum("seckiller_purchases_total", &[("sale", "b")]),
            None
        );
        assert_eq!(
            scrape.label_values("seckiller_purchases_total", "sale"),
            ["a"]
        );
    }
}
