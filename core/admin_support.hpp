#pragma once
// What the admin API's resources share: JSON errors, query parameters, times as ISO 8601 UTC.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/admin.hpp"
#include "core/store/store.hpp"

namespace qiao::admin {

AdminResponse error_response(int status, std::string_view code, std::string_view message);
// The percent-decoded value of the first `name=` in a query string; nullopt when absent.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name);
// Every key.NAME=VALUE of a query string into `query.keys` (a journal search by business keys);
// an error answer when one is malformed or there are too many.
std::optional<AdminResponse> key_parameters(std::string_view query_string, JournalQuery& query);
// A journal search from a query string: id, flow, outcome, since, until, key.NAME, limit (1..1000).
// `any_filter` tells whether one of them (limit aside) narrows it; an error answer when one is
// malformed.
std::optional<AdminResponse> journal_filter(std::string_view query_string, JournalQuery& query, bool& any_filter);
std::string iso_time(std::chrono::system_clock::time_point t);
// A delivery as the API shows it: where it goes, its state (queued, dead, delivered), counts, and
// its attempts when it has them.
std::string delivery_json(const Delivery& d);
// "2026-12-04T06:00:00Z" (seconds; a UTC offset is not accepted); nullopt when not that.
std::optional<std::chrono::system_clock::time_point> parse_iso_time(std::string_view text);

}  // namespace qiao::admin
