# Curricula developer recipes (https://github.com/casey/just).

# Run the service on the embedded default (SQLite and blobs under ./var/).
run:
    cargo run --release -- serve

# The whole test suite, as CI runs it.
test:
    cargo test --workspace

# Faster local test runs.
nextest:
    cargo nextest run --workspace

# Lints exactly as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format everything.
fmt:
    cargo fmt --all

# Benchmarks (SCORM extraction against unzip, with peak memory).
bench:
    cargo bench -p curricula-scorm

# Apply database migrations.
migrate:
    cargo run --release -- migrate

# Everything CI does.
ci:
    .ci/run
