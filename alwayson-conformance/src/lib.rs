//! # alwayson-conformance
//!
//! The runtime conformance suite, written once: every test is an `async fn` generic over
//! the edge's runtime `E` and the platform's runtime `P` (real sockets on 127.0.0.1), and
//! [`conformance_suite!`] instantiates them as `#[test]`s for a runtime crate with the same
//! names everywhere. `alwayson-tokio` runs it on tokio; `alwayson-async-std` runs it under
//! async-std's executor and under smol, and runs the cross-runtime pairs (an async-std edge
//! against a tokio platform and the reverse).
//!
//! Not published: a dev-dependency of the runtime crates.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::panic)]

pub mod common;

mod auth;
mod binding;
mod close_log;
mod duty_cycle;
mod gateway;
mod handover;
mod hostile;
mod http;
mod keepalive;
mod lifecycle;
mod multipart;
mod offline;
mod proxy;
mod push_handler;
mod push_rules;
mod refusals;
mod tls;

pub use auth::{
    bind_before_auth_closes_the_socket, closes_are_reported_with_their_cause,
    credentials_closure_sees_the_claims, silent_connection_is_closed_at_the_auth_deadline,
    wrong_key_is_refused,
};
pub use binding::{
    edge_reconnects_and_rebinds_after_platform_restart,
    last_in_wins_moves_the_thing_and_keeps_the_first_connection,
    second_edge_binding_the_same_thing_is_refused,
    unbound_things_are_forgotten_by_age_without_other_traffic,
};
pub use close_log::{
    the_edge_logs_each_close_once_at_info_with_its_cause,
    the_platform_logs_each_close_once_at_info_with_its_cause,
};
pub use duty_cycle::duty_cycle_unbinds_closes_reconnects_and_delivers_off_time_pushes;
pub use gateway::gateway_start_and_fallback_serve_things_bound_later;
pub use handover::{
    first_connect_waits_the_first_connect_delay,
    shutdown_keeping_the_offline_store_hands_back_messages_in_flight,
    shutdown_keeping_the_offline_store_hands_unsent_messages_to_the_next_client,
};
pub use hostile::{
    a_chunk_over_the_reassembly_budget_is_answered_and_the_connection_lives,
    auth_unanswered_or_garbled_is_retried_not_refused,
    half_sent_upgrades_are_closed_at_the_header_timeout,
    puts_of_unknown_properties_or_other_types_are_refused, raise_fd_limit,
    the_connection_cap_sheds_pre_auth_connections_first,
};
pub use http::{
    http_handler_serves_other_requests_on_the_same_port, other_paths_are_404_without_a_handler,
    upgrade_answer_is_exactly_what_the_sdk_expects,
};
pub use keepalive::silent_platform_is_detected_by_the_pong_timeout;
pub use lifecycle::{
    dropping_the_client_ends_its_connection, full_lifecycle_both_directions,
    shutdown_unbinds_then_closes,
};
pub use multipart::one_mebibyte_blob_round_trip;
pub use offline::{
    offline_store_delivers_every_push_in_order_across_a_platform_restart,
    requests_opted_into_the_store_arrive_after_an_outage,
};
pub use proxy::{
    no_proxy_is_honoured, proxy_basic_auth_right_and_wrong,
    proxy_down_is_retried_until_it_comes_up, ws_and_wss_go_through_an_http_proxy,
};
pub use push_handler::pushes_reach_the_push_handler_borrowed_and_its_answer_the_edge;
pub use push_rules::{
    a_full_push_queue_and_refused_batches_are_counted,
    get_metadata_describes_properties_services_and_events,
    push_rules_decide_what_reaches_the_platform_and_follow_its_changes,
    queued_values_go_in_batches_under_the_max_message_size,
};
pub use refusals::{
    a_refused_bind_carries_the_platform_reason_to_the_edge,
    a_response_refused_for_the_budget_fails_the_platform_request_at_once,
};
pub use tls::{
    bad_pem_is_a_tls_error, wss_client_certificate_is_checked,
    wss_with_trusted_ca_works_and_untrusted_is_refused,
};

/// Instantiates the suite as `#[test]` functions, one per conformance test, named like it.
///
/// `edge` and `platform` are the two [`Runtime`](alwayson_async::Runtime)s (the same one,
/// or two for a cross-runtime pair); `block_on` is a function that runs a future to
/// completion on the executor under test. With `tests = [..]` only the named tests are
/// generated.
///
/// ```ignore
/// fn block_on<F: std::future::Future>(f: F) -> F::Output { /* your executor */ }
/// alwayson_conformance::conformance_suite!(edge = MyRt, platform = MyRt, block_on = block_on);
/// ```
#[macro_export]
macro_rules! conformance_suite {
    (edge = $e:ty, platform = $p:ty, block_on = $run:path) => {
        $crate::conformance_suite!(edge = $e, platform = $p, block_on = $run, tests = [
            full_lifecycle_both_directions,
            dropping_the_client_ends_its_connection,
            shutdown_unbinds_then_closes,
            bind_before_auth_closes_the_socket,
            closes_are_reported_with_their_cause,
            silent_connection_is_closed_at_the_auth_deadline,
            wrong_key_is_refused,
            credentials_closure_sees_the_claims,
            second_edge_binding_the_same_thing_is_refused,
            unbound_things_are_forgotten_by_age_without_other_traffic,
            last_in_wins_moves_the_thing_and_keeps_the_first_connection,
            edge_reconnects_and_rebinds_after_platform_restart,
            silent_platform_is_detected_by_the_pong_timeout,
            one_mebibyte_blob_round_trip,
            wss_with_trusted_ca_works_and_untrusted_is_refused,
            wss_client_certificate_is_checked,
            bad_pem_is_a_tls_error,
            upgrade_answer_is_exactly_what_the_sdk_expects,
            other_paths_are_404_without_a_handler,
            http_handler_serves_other_requests_on_the_same_port,
            half_sent_upgrades_are_closed_at_the_header_timeout,
            the_connection_cap_sheds_pre_auth_connections_first,
            auth_unanswered_or_garbled_is_retried_not_refused,
            puts_of_unknown_properties_or_other_types_are_refused,
            a_chunk_over_the_reassembly_budget_is_answered_and_the_connection_lives,
            offline_store_delivers_every_push_in_order_across_a_platform_restart,
            ws_and_wss_go_through_an_http_proxy,
            proxy_basic_auth_right_and_wrong,
            proxy_down_is_retried_until_it_comes_up,
            no_proxy_is_honoured,
            duty_cycle_unbinds_closes_reconnects_and_delivers_off_time_pushes,
            push_rules_decide_what_reaches_the_platform_and_follow_its_changes,
            queued_values_go_in_batches_under_the_max_message_size,
            get_metadata_describes_properties_services_and_events,
            a_full_push_queue_and_refused_batches_are_counted,
            requests_opted_into_the_store_arrive_after_an_outage,
            gateway_start_and_fallback_serve_things_bound_later,
            first_connect_waits_the_first_connect_delay,
            shutdown_keeping_the_offline_store_hands_unsent_messages_to_the_next_client,
            pushes_reach_the_push_handler_borrowed_and_its_answer_the_edge,
            a_refused_bind_carries_the_platform_reason_to_the_edge,
            a_response_refused_for_the_budget_fails_the_platform_request_at_once,
            the_platform_logs_each_close_once_at_info_with_its_cause,
            the_edge_logs_each_close_once_at_info_with_its_cause,
            shutdown_keeping_the_offline_store_hands_back_messages_in_flight,
        ]);
    };
    (edge = $e:ty, platform = $p:ty, block_on = $run:path, tests = [$($name:ident),* $(,)?]) => {
        $(
            #[test]
            fn $name() {
                $run($crate::$name::<$e, $p>())
            }
        )*
    };
}
