/* fcgi/auth.h - appkey authentication for the routes that declare AUTH_APPKEY: the key comes in
 * X-TC-APP-KEY or as the password of HTTP Basic auth, maps to its project through the store, and
 * a {projectId} in the path must be that project.
 * SPDX-License-Identifier: MIT */
#ifndef FC_AUTH_H
#define FC_AUTH_H

#include "http.h"

/* The appkey the request carries (arena memory), or NULL when it carries none. X-TC-APP-KEY
 * wins over Authorization: Basic. */
const char *fc_auth_key(req_t *req);
/* Sets req->project from the request's appkey. VG_EAUTH when it has none or an unknown one,
 * VG_EDENIED when the route's {projectId} is another project, VG_EUNAVAIL without a store. */
int fc_auth_appkey(req_t *req, vg_err_t *err);

#endif
