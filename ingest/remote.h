/* ingest/remote.h - Prometheus remote write 1.0: a snappy-compressed protobuf WriteRequest,
 * decoded into an ing_batch_t (float samples and metric metadata).
 * SPDX-License-Identifier: MIT */
#ifndef ING_REMOTE_H
#define ING_REMOTE_H

#include "core/err.h"
#include "ingest/batch.h"

#include <stddef.h>

/* Decodes body[0..len) (snappy block format, then a WriteRequest) into b, everything in b's
 * arena. Every series's samples join b with the series's labels (the label order on the wire
 * does not matter; an empty label value means the label is absent, as in Prometheus). Metadata
 * entries fill ing_batch_meta(b, family) with Prometheus's /metadata type words. Exemplars and
 * native histograms are read past and dropped.
 *
 * Fails, leaving b to be discarded, with VG_ETOOBIG when the decoded size the block announces
 * exceeds max_decoded, and with VG_EINVAL for a corrupt block ("snappy: corrupt input", the
 * words Prometheus answers with), a message that is not a WriteRequest ("proto: ..."), and a
 * series without a metric name or with a repeated label name ("invalid labels {...}: ..."). */
int ing_remote_parse(ing_batch_t *b, const void *body, size_t len, size_t max_decoded,
                     vg_err_t *err);

#endif
