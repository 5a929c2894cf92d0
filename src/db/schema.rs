//! Table definitions shared by both backends (see migrations/{sqlite,postgres}).

diesel::table! {
    teams (key) {
        key -> Text,
        name -> Text,
        email -> Text,
        lead_emails -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        timezone -> Nullable<Text>,
        digest_opt_out -> Bool,
    }
}

diesel::table! {
    team_members (user_id, team_key) {
        user_id -> Text,
        team_key -> Text,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        label -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_type_versions (version) {
        version -> Integer,
        types -> Text,
        note -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    routing_versions (version) {
        version -> Integer,
        map -> Text,
        note -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    requests (id) {
        id -> Text,
        number -> BigInt,
        title -> Text,
        description -> Text,
        category -> Text,
        priority -> Text,
        page_url -> Nullable<Text>,
        desired_date -> Nullable<Date>,
        status -> Text,
        requester_id -> Text,
        team_key -> Text,
        assignee_id -> Nullable<Text>,
        routing_version -> Integer,
        routing_rule -> Nullable<Text>,
        routing_reason -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        first_response_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        sla_version -> Integer,
        fr_due_at -> Nullable<Timestamp>,
        fr_at_risk_at -> Nullable<Timestamp>,
        fr_breached_at -> Nullable<Timestamp>,
        res_due_at -> Nullable<Timestamp>,
        res_at_risk_at -> Nullable<Timestamp>,
        res_breached_at -> Nullable<Timestamp>,
        queue_due_at -> Timestamp,
        sla_check_at -> Timestamp,
        escalate_from -> Nullable<Timestamp>,
        first_answer_at -> Nullable<Timestamp>,
        team_first_response_at -> Nullable<Timestamp>,
        team_first_answer_at -> Nullable<Timestamp>,
        waiting_reason -> Nullable<Text>,
        fields -> Nullable<Text>,
        type_version -> Nullable<Integer>,
    }
}

diesel::table! {
    request_stretches (request_id, seq) {
        request_id -> Text,
        seq -> Integer,
        holder -> Text,
        waiting_on -> Nullable<Text>,
        team_key -> Text,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        business_minutes -> Nullable<BigInt>,
        wall_minutes -> Nullable<BigInt>,
    }
}

diesel::table! {
    request_events (id) {
        id -> BigInt,
        request_id -> Text,
        kind -> Text,
        actor_id -> Nullable<Text>,
        at -> Timestamp,
        data -> Text,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        kind -> Text,
        actor_id -> Nullable<Text>,
        at -> Timestamp,
        data -> Text,
    }
}

diesel::table! {
    sla_versions (version) {
        version -> Integer,
        config -> Text,
        note -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sla_signatures (sla_version, team_key) {
        sla_version -> Integer,
        team_key -> Text,
        signed_by -> Text,
        signed_at -> Timestamp,
    }
}

diesel::table! {
    sla_escalations (request_id, clock, level) {
        request_id -> Text,
        clock -> Text,
        level -> Integer,
        reached_at -> Timestamp,
        recipients -> Text,
        deliver_after -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Text,
        message_id -> Text,
        dedupe_key -> Text,
        kind -> Text,
        request_id -> Nullable<Text>,
        recipients -> Text,
        subject -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mail_bodies (id) {
        id -> Text,
        text_body -> Text,
        html_body -> Text,
        inline_png -> Nullable<Binary>,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    request_facts (request_id, seq) {
        request_id -> Text,
        seq -> Integer,
        scope -> Text,
        team_key -> Text,
        category -> Text,
        sla_version -> Integer,
        started_at -> BigInt,
        passed_on_at -> Nullable<BigInt>,
        held_business_minutes -> Nullable<BigInt>,
        click_without_answer -> Bool,
        fr_breach_team -> Nullable<Text>,
        res_breach_team -> Nullable<Text>,
        fr_target -> Nullable<Integer>,
        fr_calendar -> Nullable<Text>,
        fr_due_at -> Nullable<BigInt>,
        fr_at_risk_at -> Nullable<BigInt>,
        fr_breached_at -> Nullable<BigInt>,
        fr_stopped_at -> Nullable<BigInt>,
        fr_elapsed_ns -> Nullable<BigInt>,
        fr_running_since -> Nullable<BigInt>,
        fr_business_minutes -> Nullable<BigInt>,
        fr_wall_minutes -> Nullable<BigInt>,
        res_target -> Nullable<Integer>,
        res_calendar -> Nullable<Text>,
        res_due_at -> Nullable<BigInt>,
        res_at_risk_at -> Nullable<BigInt>,
        res_breached_at -> Nullable<BigInt>,
        res_stopped_at -> Nullable<BigInt>,
        res_elapsed_ns -> Nullable<BigInt>,
        res_running_since -> Nullable<BigInt>,
        res_business_minutes -> Nullable<BigInt>,
        res_wall_minutes -> Nullable<BigInt>,
        fa_target -> Nullable<Integer>,
        fa_calendar -> Nullable<Text>,
        fa_due_at -> Nullable<BigInt>,
        fa_at_risk_at -> Nullable<BigInt>,
        fa_breached_at -> Nullable<BigInt>,
        fa_stopped_at -> Nullable<BigInt>,
        fa_elapsed_ns -> Nullable<BigInt>,
        fa_running_since -> Nullable<BigInt>,
        fa_business_minutes -> Nullable<BigInt>,
        fa_wall_minutes -> Nullable<BigInt>,
    }
}

diesel::joinable!(mail_bodies -> mail_outbox (id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(sla_signatures -> users (signed_by));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(team_members -> teams (team_key));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(requests -> teams (team_key));
diesel::joinable!(request_events -> requests (request_id));
diesel::joinable!(request_stretches -> requests (request_id));
diesel::joinable!(request_facts -> requests (request_id));

diesel::table! {
    sign_in_throttle (key) {
        key -> Text,
        window_started_at -> Timestamp,
        attempts -> Integer,
    }
}

diesel::table! {
    idempotency_keys (caller_id, key) {
        caller_id -> Text,
        key -> Text,
        body_hash -> Text,
        request_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account_links (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    security_log (id) {
        id -> BigInt,
        at -> Timestamp,
        kind -> Text,
        email -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        address -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    sso_logins (state_hash) {
        state_hash -> Text,
        browser_hash -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        next_path -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    identities (issuer, subject) {
        issuer -> Text,
        subject -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(account_links -> users (user_id));

diesel::table! {
    attachments (id) {
        id -> Text,
        request_id -> Nullable<Text>,
        event_id -> Nullable<BigInt>,
        internal -> Bool,
        name -> Text,
        content_type -> Text,
        size -> BigInt,
        uploader_id -> Text,
        created_at -> Timestamp,
        attached_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attachment_chunks (attachment_id, seq) {
        attachment_id -> Text,
        seq -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    saved_views (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        path -> Text,
        query -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    canned_replies (id) {
        id -> Text,
        team_key -> Text,
        name -> Text,
        body -> Text,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    request_links (request_id, kind, target_id) {
        request_id -> Text,
        kind -> Text,
        target_id -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    leases (name) {
        name -> Text,
        holder -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    service_keys (name) {
        name -> Text,
        value -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    inbound_mail (id) {
        id -> Text,
        message_id -> Text,
        sender -> Text,
        subject -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        request_id -> Nullable<Text>,
        size -> BigInt,
        raw -> Binary,
        received_at -> Timestamp,
    }
}

diesel::table! {
    watchers (request_id, email) {
        request_id -> Text,
        email -> Text,
        added_by -> Nullable<Text>,
        added_at -> Timestamp,
    }
}

diesel::joinable!(attachments -> users (uploader_id));
diesel::joinable!(request_links -> requests (request_id));
diesel::joinable!(attachment_chunks -> attachments (attachment_id));

diesel::allow_tables_to_appear_in_same_query!(
    sla_signatures,
    teams,
    users,
    team_members,
    api_tokens,
    routing_versions,
    counters,
    requests,
    request_events,
    request_stretches,
    request_facts,
    audit_events,
    sla_versions,
    sla_escalations,
    mail_bodies,
    mail_outbox,
    sessions,
    sign_in_throttle,
    idempotency_keys,
    account_links,
    security_log,
    sso_logins,
    identities,
    attachments,
    attachment_chunks,
    inbound_mail,
    watchers,
    service_keys,
    leases,
    request_links,
    canned_replies,
    saved_views,
);
