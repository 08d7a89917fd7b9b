//! The ISO 4217 codes of currencies in circulation, as the ISO 4217 maintenance agency lists
//! them (list one, amendment 179 of 2025), sorted for a binary search.
//!
//! Left out on purpose: codes that are not money a buyer pays in — precious metals (XAU, XAG,
//! XPT, XPD), bond-market and fund units (XBA–XBD, XDR, XSU, XUA, BOV, CHE, CHW, CLF, COU, MXV,
//! USN, UYI, UYW), the testing code XTS and "no currency" XXX — and withdrawn codes (ANG, CUC,
//! HRK, SLL, ZWL, …). The X-codes that are real currencies (XAF, XCD, XCG, XOF, XPF) are in.
//! When the agency publishes an amendment, this list follows it.

/// The accepted codes, in ascending order.
pub(super) const ACTIVE: [&str; 155] = [
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
    "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN",
    "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD",
    "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES",
    "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
    "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP",
    "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK",
    "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT",
    "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// Whether `code` is an accepted currency.
pub(super) fn is_active(code: &str) -> bool {
    ACTIVE.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_without_repeats_so_a_binary_search_finds_every_code() {
        assert!(ACTIVE.windows(2).all(|w| w[0] < w[1]));
        assert!(ACTIVE.iter().all(|c| is_active(c)));
    }
}
