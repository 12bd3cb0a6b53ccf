// Umbrella header: everything an embedder of the raftio core needs.
#pragma once

#include "raftio/actions.h"
#include "raftio/config.h"
#include "raftio/describe.h"
#include "raftio/entry.h"
#include "raftio/events.h"
#include "raftio/membership.h"
#include "raftio/memory_log.h"
#include "raftio/messages.h"
#include "raftio/node.h"
#include "raftio/payload.h"
#include "raftio/raft_log.h"
#include "raftio/result.h"
#include "raftio/state.h"
#include "raftio/transport.h"
#include "raftio/types.h"
#include "raftio/wire.h"
