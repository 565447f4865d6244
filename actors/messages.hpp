#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/unit.hpp>

#include "actors/model.hpp"
#include "actors/templates.hpp"

// Messages between the HTTP front and the actors. They carry a completion that
// the actor calls with the outcome; the completion posts the answer back to the
// connection, so no HTTP thread ever waits. They never leave the process.

namespace ns {

template <class T>
using reply_fn = std::function<void(caf::expected<T>)>;

/// A client as the admin API returns it; key and secret only when just issued.
struct client_result {
  client_record client;
  std::string api_key;
  std::string signing_secret;
};

/// An adapter as the admin API returns it; key only when just issued.
struct adapter_result {
  adapter_record adapter;
  std::string api_key;
};

struct create_client_request {
  client_spec spec;
  reply_fn<client_result> reply;
};

struct patch_client_request {
  std::string id;
  client_patch patch;
  reply_fn<client_result> reply;
};

struct delete_client_request {
  std::string id;
  reply_fn<caf::unit_t> reply;
};

struct rotate_client_keys_request {
  std::string id;
  reply_fn<client_result> reply;
};

struct create_adapter_request {
  adapter_spec spec;
  reply_fn<adapter_result> reply;
};

struct patch_adapter_request {
  std::string name;
  adapter_patch patch;
  reply_fn<adapter_result> reply;
};

struct delete_adapter_request {
  std::string name;
  reply_fn<caf::unit_t> reply;
};

struct rotate_adapter_key_request {
  std::string name;
  reply_fn<adapter_result> reply;
};

/// What an admin sends to create or change a template.
struct template_spec {
  std::string name;
  boost::json::object parts;
  bool strict = false;
};

/// Creates a template (version 1) or, with `update`, adds its next version.
struct put_template_request {
  std::string adapter;
  template_spec spec;
  bool update = false;
  reply_fn<template_record> reply;
};

/// Deletes every version of a template.
struct delete_template_request {
  std::string adapter;
  std::string name;
  reply_fn<caf::unit_t> reply;
};

/// The store's answer to the registry's pending write.
struct registry_write_done {
  uint64_t op;
  caf::error err;
};

} // namespace ns

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::create_client_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::patch_client_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::delete_client_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::rotate_client_keys_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::create_adapter_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::patch_adapter_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::delete_adapter_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::rotate_adapter_key_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::registry_write_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::put_template_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ns::delete_template_request)
