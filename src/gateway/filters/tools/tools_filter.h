#pragma once
// Least privilege for agents that call tools (OpenAI-style function calling), in requests and answers,
// streamed or whole. Requests: the tools a client declares must be on the route's list for its key
// (others are refused or stripped), their schemas must be ones the gateway can enforce, and what tools
// sent back (role "tool" messages) is read by the guard as a document: indirect injection is blocked or
// wrapped with a warning. Answers: every tool call (streamed deltas reassembled and held back until judged)
// must be listed, allowed for the key, declared by the request, valid against the configured and the
// declared JSON Schema, pass the argument rules, fit the tool's rate and daily budget, and, when the tool
// says so, be approved by a person through the admin API. Each decision goes to the audit event.
#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

const FilterDescriptor& ToolsFilterDescriptor();

}  // namespace modelguard::gateway
