# The fuzz targets that are not model formats (those come from src/formats/formats.def): each has its harness
# fuzz/fuzz_<name>.cpp, a kept corpus fuzz/corpus/<name>/ and, for text inputs, a dictionary
# fuzz/dict/<name>.dict. One list for both builds: fuzz/CMakeLists.txt makes the libFuzzer binaries (clang,
# scripts/fuzz) and tests/fuzz/CMakeLists.txt replays every kept corpus in the test suite.
# MODELGUARD_FUZZ_LIBS_<name>: what the harness links. MODELGUARD_FUZZ_GATEWAY_<name>: gateway sources the
# harness needs; the test build links the gateway libraries instead, the clang build compiles these files
# in directly (fuzz/CMakeLists.txt says how it gets clang 14 through their coroutine code).
set(MODELGUARD_FUZZ_TARGETS
  npy_header integrity gateway guard assess_data
  http_head gateway_config policy bundle bom guard_normalize template pickle_nested pattern_cache
  guard_stage2 data_table data_source privacy privacy_release monitor_batch monitor_stream watermark_tokens watermark_tokenizer seal_header json_schema governance)

set(MODELGUARD_FUZZ_LIBS_npy_header modelguard_formats)
set(MODELGUARD_FUZZ_LIBS_privacy modelguard_privacy)
set(MODELGUARD_FUZZ_LIBS_privacy_release modelguard_privacy)
set(MODELGUARD_FUZZ_LIBS_monitor_batch modelguard_monitor modelguard_data modelguard_stats modelguard_formats modelguard_assess_data)
set(MODELGUARD_FUZZ_LIBS_monitor_stream modelguard_monitor modelguard_stats)
set(MODELGUARD_FUZZ_LIBS_watermark_tokens modelguard_watermark)
set(MODELGUARD_FUZZ_LIBS_watermark_tokenizer modelguard_watermark modelguard_core)
set(MODELGUARD_FUZZ_LIBS_seal_header modelguard_seal)
set(MODELGUARD_FUZZ_LIBS_json_schema modelguard_schema)
set(MODELGUARD_FUZZ_LIBS_governance modelguard_governance)
set(MODELGUARD_FUZZ_LIBS_integrity modelguard_integrity OpenSSL::Crypto)
set(MODELGUARD_FUZZ_LIBS_guard modelguard_guard)
set(MODELGUARD_FUZZ_LIBS_pattern_cache modelguard_guard)
set(MODELGUARD_FUZZ_LIBS_data_table modelguard_data)
set(MODELGUARD_FUZZ_LIBS_data_source modelguard_data modelguard_stats modelguard_formats modelguard_assess_data)
set(MODELGUARD_FUZZ_LIBS_guard_stage2 modelguard_guard)
set(MODELGUARD_FUZZ_LIBS_assess_data modelguard_assess_data modelguard_defenses modelguard_stats)
set(MODELGUARD_FUZZ_LIBS_http_head modelguard_core nlohmann_json::nlohmann_json)
set(MODELGUARD_FUZZ_GATEWAY_http_head http_head.cpp)
set(MODELGUARD_FUZZ_LIBS_gateway_config modelguard_guard modelguard_defenses modelguard_integrity modelguard_core
  nlohmann_json::nlohmann_json OpenSSL::Crypto)
set(MODELGUARD_FUZZ_GATEWAY_gateway_config
  config.cpp http_head.cpp settings.cpp keys.cpp json_sax.cpp openai.cpp sse.cpp filter_chain.cpp log.cpp filters/registry.cpp
  filters/api_key/api_key_filter.cpp filters/guard/guard_filter.cpp filters/jwt/jwt_filter.cpp
  filters/output_hardening/output_hardening_filter.cpp filters/prada/prada_filter.cpp
  filters/rate_limit/rate_limit_filter.cpp filters/token_budget/token_budget_filter.cpp
  state/limit_store.cpp state/memory_store.cpp state/redis_store.cpp)
# fuzz_gateway builds a JWT filter through the registry, so it needs every filter too.
set(MODELGUARD_FUZZ_LIBS_gateway ${MODELGUARD_FUZZ_LIBS_gateway_config})
set(MODELGUARD_FUZZ_GATEWAY_gateway ${MODELGUARD_FUZZ_GATEWAY_gateway_config})
set(MODELGUARD_FUZZ_LIBS_policy modelguard_scan modelguard_guard)
set(MODELGUARD_FUZZ_LIBS_bundle modelguard_integrity OpenSSL::Crypto)
set(MODELGUARD_FUZZ_LIBS_bom modelguard_bom nlohmann_json::nlohmann_json)
set(MODELGUARD_FUZZ_LIBS_guard_normalize modelguard_guard)
set(MODELGUARD_FUZZ_LIBS_template modelguard_formats)
set(MODELGUARD_FUZZ_LIBS_pickle_nested modelguard_formats)
