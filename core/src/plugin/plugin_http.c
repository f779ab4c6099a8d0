/* Host-table entries for the requests a plugin's route receives and its
 * responses. */
#include "plugin_host.h"

#include "config_network.h"
#include "plugin_internal.h"
#include "plugin_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_post(const agendad_request *req)
{
    return req->host->svc.is_post && req->host->svc.is_post(req->http);
}

static const char *api_request_method(const agendad_request *req)
{
    return req->host->svc.is_head(req->http) ? "HEAD" : is_post(req) ? "POST" : "GET";
}

static const char *api_request_form(const agendad_request *req, const char *name)
{
    if (!req || !name || !is_post(req) || !req->host->svc.form)
        return NULL;
    return req->host->svc.form(req->http, name);
}

static const char *api_request_path(const agendad_request *req)
{
    return req->host->svc.path(req->http);
}

static const char *api_request_query_string(const agendad_request *req)
{
    return req->host->svc.query_string(req->http);
}

static const char *api_request_query(const agendad_request *req, const char *name)
{
    return name ? req->host->svc.query(req->http, name) : NULL;
}

static const char *api_request_header(const agendad_request *req, const char *name)
{
    return name ? req->host->svc.header(req->http, name) : NULL;
}

static void api_respond(agendad_request *req, int status, const char *content_type,
                        const char *body, size_t len, const char *const *headers)
{
    req->host->svc.respond(req->http, status, content_type, body ? body : "", body ? len : 0,
                           headers);
    free(req);
}

static void api_respond_error(agendad_request *req, int status, const char *detail)
{
    req->host->svc.respond_error(req->http, status, detail, NULL);
    free(req);
}

static void api_respond_cached(agendad_request *req, const char *content_type, const char *body,
                               size_t len, int64_t last_modified, int max_age)
{
    const ag_plugin_services *svc = &req->host->svc;
    if (svc->respond_cached)
        svc->respond_cached(req->http, content_type ? content_type : "application/octet-stream",
                            body ? body : "", body ? len : 0, last_modified, max_age);
    else
        svc->respond(req->http, 200, content_type, body ? body : "", body ? len : 0, NULL);
    free(req);
}

/* This file's entries of the host table. */
void ag_plugin_table_http(agendad_host *t)
{
    t->request_method = api_request_method;
    t->request_form = api_request_form;
    t->request_path = api_request_path;
    t->request_query_string = api_request_query_string;
    t->request_query = api_request_query;
    t->request_header = api_request_header;
    t->respond = api_respond;
    t->respond_error = api_respond_error;
    t->respond_cached = api_respond_cached;
}
