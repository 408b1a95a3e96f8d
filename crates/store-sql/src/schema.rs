//! Tables, as the migrations under `migrations/` create them.
//!
//! One description serves both backends. Postgres columns are `timestamptz` where this says
//! `Timestamp`: diesel-async sets `TimeZone` to UTC on every Postgres connection, so the naive UTC values
//! written and read here are exact instants.

diesel::table! {
    tenants (id) {
        id -> BigInt,
        name -> Text,
        default_language -> Text,
        created_at -> Timestamp,
        /// How many curriculum records the tenant has (kept by every path change).
        curriculum_records -> BigInt,
    }
}

diesel::table! {
    tenant_languages (tenant_id, code) {
        tenant_id -> BigInt,
        code -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        key_hash -> Text,
        origin -> Nullable<Text>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        username -> Text,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        email -> Nullable<Text>,
        code -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organisations (tenant_id, id) {
        tenant_id -> BigInt,
        id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    activities (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        kind -> Text,
        name -> Text,
        owner_id -> BigInt,
        all_organisations -> Bool,
        parent_id -> Nullable<BigInt>,
        in_catalog -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        curriculum_version -> BigInt,
    }
}

diesel::table! {
    activity_organisations (activity_id, organisation_id) {
        activity_id -> BigInt,
        tenant_id -> BigInt,
        organisation_id -> BigInt,
    }
}

diesel::table! {
    language_versions (id) {
        id -> BigInt,
        activity_id -> BigInt,
        language -> Text,
        title -> Text,
        scorm_version -> Nullable<Text>,
        scorm_title -> Nullable<Text>,
        description -> Nullable<Text>,
        launch_href -> Nullable<Text>,
        mastery_score -> Nullable<Double>,
        completion_threshold -> Nullable<Double>,
        items -> Nullable<Text>,
        file_count -> Nullable<BigInt>,
        total_bytes -> Nullable<BigInt>,
        package_sha256 -> Nullable<Text>,
        storage_prefix -> Nullable<Text>,
        created_at -> Timestamp,
        revision -> Nullable<Integer>,
    }
}

diesel::table! {
    curriculum_activities (id) {
        id -> BigInt,
        curriculum_id -> BigInt,
        account_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        course_id -> Nullable<BigInt>,
        name -> Text,
        updated_by -> Nullable<BigInt>,
        updated_on -> Timestamp,
        due_days -> Nullable<Integer>,
        weight -> Nullable<Integer>,
        exempt_if_mastered -> Nullable<Bool>,
        description -> Nullable<Text>,
        lock_until -> Nullable<Date>,
        code -> Nullable<Text>,
        initial_view -> Nullable<Text>,
        required_for_specified_control_mode -> Nullable<Bool>,
        skip_interstitial_page -> Nullable<Bool>,
        control_mode -> Nullable<Text>,
        completions_min -> Nullable<Integer>,
        attempts_max -> Nullable<Integer>,
    }
}

diesel::table! {
    /// The nested-set bounds of `curriculum_activities`, one row each, apart so that
    /// renumbering rewrites narrow rows.
    curriculum_bounds (id) {
        id -> BigInt,
        curriculum_id -> BigInt,
        lft -> Integer,
        rgt -> Integer,
    }
}

diesel::joinable!(curriculum_activities -> tenants (account_id));
diesel::joinable!(curriculum_bounds -> curriculum_activities (id));
diesel::allow_tables_to_appear_in_same_query!(curriculum_bounds, curriculum_activities, activities);
diesel::joinable!(language_versions -> activities (activity_id));

diesel::table! {
    package_revisions (id) {
        id -> BigInt,
        language_version_id -> BigInt,
        revision -> Integer,
        api_key_id -> Nullable<BigInt>,
        uploaded_at -> Timestamp,
        superseded_at -> Nullable<Timestamp>,
        package_sha256 -> Text,
        storage_prefix -> Text,
        content -> Text,
    }
}

diesel::joinable!(package_revisions -> language_versions (language_version_id));
diesel::allow_tables_to_appear_in_same_query!(package_revisions, language_versions, activities);

diesel::table! {
    events (id) {
        id -> BigInt,
        tx -> BigInt,
        tenant_id -> BigInt,
        #[sql_name = "type"]
        kind -> Text,
        occurred_at -> Timestamp,
        course_id -> Nullable<BigInt>,
        record_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        enrollment_id -> Nullable<BigInt>,
        api_key_id -> Nullable<BigInt>,
        origin -> Nullable<Text>,
        request_id -> Nullable<Text>,
        data -> Text,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        url -> Text,
        events -> Text,
        secret -> Text,
        active -> Bool,
        cursor_tx -> BigInt,
        cursor_id -> BigInt,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
        response_status -> Nullable<Integer>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(webhook_deliveries, webhooks, events);

diesel::table! {
    enrollments (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_id -> BigInt,
        course_id -> BigInt,
        kind -> Text,
        status -> Text,
        success -> Text,
        score -> Nullable<Double>,
        attempts -> Integer,
        total_time_seconds -> Double,
        language -> Nullable<Text>,
        enrolled_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    attempts (id) {
        id -> BigInt,
        enrollment_id -> BigInt,
        number -> Integer,
        language -> Text,
        revision -> Integer,
        storage_prefix -> Text,
        seq -> BigInt,
        status -> Text,
        success -> Text,
        score -> Nullable<Double>,
        total_time_seconds -> Double,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sco_runtimes (attempt_id, sco) {
        attempt_id -> BigInt,
        sco -> Text,
        state -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(attempts -> enrollments (enrollment_id));
diesel::allow_tables_to_appear_in_same_query!(attempts, enrollments);

diesel::table! {
    imports (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        api_key_id -> BigInt,
        origin -> Nullable<Text>,
        request_id -> Nullable<Text>,
        kind -> Text,
        fields -> Text,
        blob_key -> Nullable<Text>,
        sha256 -> Nullable<Text>,
        size -> BigInt,
        status -> Text,
        attempts -> Integer,
        activity_id -> Nullable<BigInt>,
        error_message -> Nullable<Text>,
        warnings -> Text,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(imports, events);
