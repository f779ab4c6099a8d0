#include "mail.h"

#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>

void rem_mail_init(void)
{
    g_mime_init();
}

void rem_mail_shutdown(void)
{
    g_mime_shutdown();
}

static GMimeTextPart *text_part(const char *subtype, const char *text)
{
    GMimeTextPart *p = g_mime_text_part_new_with_subtype(subtype);
    g_mime_text_part_set_text(p, text ? text : "");
    return p;
}

static const char *method_of(const rem_mail *m)
{
    return m->cancel ? "CANCEL" : m->invitation ? "REQUEST" : "PUBLISH";
}

static void set_content(GMimePart *p, const rem_mail *m)
{
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(m->ics, m->ics_len);
    GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(p, w);
    g_object_unref(w);
    g_object_unref(s);
}

/* A reminder's .ics, attached. */
static GMimeObject *calendar_part(const rem_mail *m)
{
    GMimePart *p = g_mime_part_new_with_type("text", "calendar");
    GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(p));
    g_mime_content_type_set_parameter(ct, "charset", "utf-8");
    g_mime_content_type_set_parameter(ct, "method", method_of(m));
    g_mime_part_set_filename(p, m->cancel ? "cancel.ics" : "invite.ics");
    g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_BASE64);
    set_content(p, m);
    return GMIME_OBJECT(p);
}

/* An invitation's calendar as the alternative the apps read: inline, no
 * file name. */
static GMimeObject *itip_alternative(const rem_mail *m)
{
    GMimePart *p = g_mime_part_new_with_type("text", "calendar");
    GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(p));
    g_mime_content_type_set_parameter(ct, "charset", "UTF-8");
    g_mime_content_type_set_parameter(ct, "method", method_of(m));
    g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_BASE64);
    set_content(p, m);
    return GMIME_OBJECT(p);
}

/* The same calendar attached, as Gmail attaches it. */
static GMimeObject *itip_attachment(const rem_mail *m)
{
    GMimePart *p = g_mime_part_new_with_type("application", "ics");
    GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(p));
    g_mime_content_type_set_parameter(ct, "name", "invite.ics");
    g_mime_part_set_filename(p, "invite.ics");
    g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_BASE64);
    set_content(p, m);
    return GMIME_OBJECT(p);
}

static void add_part(GMimeMultipart *mp, GMimeObject *part)
{
    g_mime_multipart_add(mp, part);
    g_object_unref(part);
}

static GMimeObject *body(const rem_mail *m)
{
    GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
    add_part(alt, GMIME_OBJECT(text_part("plain", m->text)));
    add_part(alt, GMIME_OBJECT(text_part("html", m->html)));
    if (!m->ics)
        return GMIME_OBJECT(alt);
    if (m->invitation)
        add_part(alt, itip_alternative(m));
    GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
    add_part(mixed, GMIME_OBJECT(alt));
    add_part(mixed, m->invitation ? itip_attachment(m) : calendar_part(m));
    return GMIME_OBJECT(mixed);
}

static bool add_addresses(GMimeMessage *msg, GMimeAddressType type, const char *text)
{
    InternetAddressList *l = internet_address_list_parse(NULL, text);
    if (!l)
        return false;
    bool ok = internet_address_list_length(l) == 1;
    if (ok)
        internet_address_list_append(g_mime_message_get_addresses(msg, type), l);
    g_object_unref(l);
    return ok;
}

static char *serialize(GMimeMessage *msg, size_t *len)
{
    GMimeFormatOptions *opt = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(opt, GMIME_NEWLINE_FORMAT_DOS);
    GMimeStream *s = g_mime_stream_mem_new();
    g_mime_object_write_to_stream(GMIME_OBJECT(msg), opt, s);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
    char *out = malloc(bytes->len + 1);
    if (out) {
        memcpy(out, bytes->data, bytes->len);
        out[bytes->len] = '\0';
        *len = bytes->len;
    }
    g_object_unref(s);
    g_mime_format_options_free(opt);
    return out;
}

/* from as a bare address with its display name, encoded per RFC 2047. */
static bool add_named(GMimeMessage *msg, const char *name, const char *addr)
{
    if (!strchr(addr, '@') || strpbrk(addr, " <>,;\"\r\n"))
        return false;
    InternetAddress *a = internet_address_mailbox_new(name, addr);
    internet_address_set_charset(a, "utf-8");
    internet_address_list_add(g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_FROM), a);
    g_object_unref(a);
    return true;
}

static bool add_from(GMimeMessage *msg, const rem_mail *m)
{
    return m->from_name ? add_named(msg, m->from_name, m->from)
                        : add_addresses(msg, GMIME_ADDRESS_TYPE_FROM, m->from);
}

char *rem_mail_build(const rem_mail *m, size_t *len)
{
    GMimeMessage *msg = g_mime_message_new(TRUE);
    char *out = NULL;
    if (add_from(msg, m) && add_addresses(msg, GMIME_ADDRESS_TYPE_TO, m->to) &&
        (!m->reply_to || add_addresses(msg, GMIME_ADDRESS_TYPE_REPLY_TO, m->reply_to))) {
        if (m->invitation)
            g_mime_object_set_header(GMIME_OBJECT(msg), "Content-Class",
                                     "urn:content-classes:calendarmessage", NULL);
        g_mime_message_set_subject(msg, m->subject, "utf-8");
        GDateTime *d = g_date_time_new_from_unix_utc(m->date);
        g_mime_message_set_date(msg, d);
        g_date_time_unref(d);
        g_mime_message_set_message_id(msg, m->message_id);
        GMimeObject *b = body(m);
        g_mime_message_set_mime_part(msg, b);
        g_object_unref(b);
        /* No 8BITMIME assumed of any relay: each part picks QP or base64. */
        g_mime_object_encode(GMIME_OBJECT(msg), GMIME_ENCODING_CONSTRAINT_7BIT);
        out = serialize(msg, len);
    }
    g_object_unref(msg);
    return out;
}
