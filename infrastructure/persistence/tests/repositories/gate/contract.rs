//! The gate contract every adapter passes, here on each database backend.

mod sqlite {
    seckiller_contract::gate_contract!(crate::gate::sqlite());
}

mod postgres {
    seckiller_contract::gate_contract!(crate::gate::postgres());
}
