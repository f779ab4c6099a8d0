/* The pages of rsvp/'s routes (see rsvp_pages.h). Every text that comes
 * from the config goes through ag_html_text(); the rest are this file's words. */
#include "rsvp_pages.h"
#include "html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char style[] =
    "body{font-family:system-ui,sans-serif;max-width:42em;margin:2em auto;padding:0 1em;"
    "line-height:1.5;color:#1b1b1b}"
    "section{margin:1.5em 0}section[lang=fr]{border-top:1px solid #ccc;padding-top:1em}"
    "button{font-size:1.2em;padding:.6em 1.4em;margin:1em 0;cursor:pointer}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3em .5em}"
    "td.n{text-align:center}label{display:block;margin:.3em 0}"
    ".refused{color:#8a1c1c}";

/* The page opens in Arabic (right to left); each section says its own
 * language and direction. */
static FILE *begin(char **buf, size_t *len, const char *title_ar, const char *title_fr)
{
    FILE *f = open_memstream(buf, len);
    if (!f)
        return NULL;
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"ar\" dir=\"rtl\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"robots\" content=\"noindex\">\n<title>%s · %s</title>\n"
            "<style>%s</style>\n</head>\n<body>\n<main>\n",
            title_ar, title_fr, style);
    return f;
}

static char *end(FILE *f, char **buf)
{
    fputs("</main>\n</body>\n</html>\n", f);
    if (fclose(f) != 0) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

static void section(FILE *f, const char *lang)
{
    fprintf(f, "<section lang=\"%s\" dir=\"%s\">\n", lang, strcmp(lang, "ar") == 0 ? "rtl" : "ltr");
}

static const char *answer_word(ag_rsvp_partstat p, const char *lang)
{
    bool ar = strcmp(lang, "ar") == 0;
    switch (p) {
    case AG_RSVP_ACCEPTED:
        return ar ? "سأحضر" : "je participerai";
    case AG_RSVP_TENTATIVE:
        return ar ? "ربما أحضر" : "je participerai peut-être";
    default:
        return ar ? "لن أحضر" : "je ne participerai pas";
    }
}

/* The event's title and date, as much as is known. */
static void event_lines(FILE *f, const ag_rsvp_page_event *ev, const char *lang)
{
    bool ar = strcmp(lang, "ar") == 0;
    const char *title = ev && ev->title ? ag_text_get(ev->title, lang) : NULL;
    if (title) {
        fputs(ar ? "<p>الاجتماع: <strong>" : "<p>Réunion : <strong>", f);
        ag_html_text(f, title);
        fputs("</strong></p>\n", f);
    }
    if (ev && ev->when) {
        fputs(ar ? "<p>الموعد: <bdi dir=\"ltr\">" : "<p>Date : <bdi>", f);
        ag_html_text(f, ev->when);
        fputs("</bdi></p>\n", f);
    }
}

char *ag_rsvp_page_confirm(const ag_rsvp_page_event *ev, ag_rsvp_partstat answer,
                           const char *form_token, size_t *len)
{
    char *buf = NULL;
    FILE *f = begin(&buf, len, "تأكيد الرد", "Confirmer la réponse");
    if (!f)
        return NULL;
    section(f, "ar");
    fputs("<h1>تأكيد الرد</h1>\n", f);
    event_lines(f, ev, "ar");
    fprintf(f, "<p>ردكم: <strong>%s</strong></p>\n", answer_word(answer, "ar"));
    fputs("<p>اضغطوا على الزر لتسجيل ردكم. لا يسجل أي شيء قبل ذلك.</p>\n</section>\n", f);
    section(f, "fr");
    fputs("<h1>Confirmer votre réponse</h1>\n", f);
    event_lines(f, ev, "fr");
    fprintf(f, "<p>Votre réponse : <strong>%s</strong></p>\n", answer_word(answer, "fr"));
    fputs("<p>Appuyez sur le bouton pour enregistrer votre réponse. Rien n'est enregistré "
          "avant.</p>\n</section>\n",
          f);
    /* No action: the form posts to the page's own URL, whatever prefix
     * a proxy serves it under. */
    fputs("<form method=\"post\">\n<input type=\"hidden\" name=\"form\" value=\"", f);
    ag_html_text(f, form_token);
    fputs("\">\n<button type=\"submit\" id=\"confirm\">تأكيد الرد · Confirmer la "
          "réponse</button>\n</form>\n",
          f);
    return end(f, &buf);
}

char *ag_rsvp_page_answered(const ag_rsvp_page_event *ev, ag_rsvp_partstat answer,
                            ag_rsvp_outcome outcome, size_t *len)
{
    char *buf = NULL;
    bool ok = outcome == AG_RSVP_RECORDED;
    FILE *f = begin(&buf, len, ok ? "تم تسجيل الرد" : "لم يسجل الرد",
                    ok ? "Réponse enregistrée" : "Réponse non enregistrée");
    if (!f)
        return NULL;
    section(f, "ar");
    event_lines(f, ev, "ar");
    if (ok)
        fprintf(f,
                "<p id=\"recorded\">تم تسجيل ردكم: <strong>%s</strong>. شكرا.</p>\n"
                "<p>لتغيير ردكم، استعملوا رابطا آخر من رسالة الدعوة.</p>\n",
                answer_word(answer, "ar"));
    else
        fputs("<p id=\"stale\">لم يسجل ردكم: تم تغيير الدعوة في الأثناء. استعملوا الرابط "
              "الموجود في آخر رسالة دعوة.</p>\n",
              f);
    fputs("</section>\n", f);
    section(f, "fr");
    event_lines(f, ev, "fr");
    if (ok)
        fprintf(f,
                "<p>Votre réponse est enregistrée : <strong>%s</strong>. Merci.</p>\n"
                "<p>Pour changer d'avis, utilisez un autre lien de votre invitation.</p>\n",
                answer_word(answer, "fr"));
    else
        fputs("<p>Votre réponse n'a pas été enregistrée : l'invitation a changé entre-temps. "
              "Utilisez le lien de votre dernière invitation.</p>\n",
              f);
    fputs("</section>\n", f);
    return end(f, &buf);
}

static const struct {
    const char *id, *ar, *fr;
} refusals[] = {
    [AG_RSVP_TAMPERED] = {"tampered",
                          "هذا الرابط غير صالح: ربما تم تغييره أو نسخه ناقصا. استعملوا الرابط "
                          "الموجود في رسالة الدعوة كما هو.",
                          "Ce lien n'est pas valide : il a peut-être été modifié ou copié "
                          "incomplètement. Utilisez le lien de votre invitation tel quel."},
    [AG_RSVP_EXPIRED] = {"expired", "انتهت صلاحية هذا الرابط: الاجتماع انتهى.",
                         "Ce lien a expiré : la réunion est terminée."},
    [AG_RSVP_OUTDATED] = {"outdated",
                          "تم تغيير الدعوة أو إلغاؤها بعد إرسال هذا الرابط. استعملوا الرابط "
                          "الموجود في آخر رسالة دعوة.",
                          "L'invitation a été modifiée ou annulée depuis l'envoi de ce lien. "
                          "Utilisez le lien de votre dernière invitation."},
    [AG_RSVP_FORM_EXPIRED] = {"form-expired",
                              "انتهت مدة صلاحية هذه الصفحة. افتحوا الرابط من رسالة الدعوة من "
                              "جديد.",
                              "Cette page a expiré. Ouvrez à nouveau le lien de votre "
                              "invitation."},
    [AG_RSVP_REPLAYED] = {"replayed",
                          "تم إرسال هذا التأكيد من قبل، ولم يسجل مرة ثانية. لتغيير ردكم افتحوا "
                          "الرابط من جديد.",
                          "Cette confirmation a déjà été envoyée ; elle n'est pas enregistrée "
                          "une seconde fois. Pour changer de réponse, ouvrez à nouveau le lien."},
    [AG_RSVP_RATE_LIMITED] = {"rate-limited",
                              "وصلنا عدد كبير من الردود لهذا العنوان خلال الساعة الأخيرة. "
                              "أعيدوا المحاولة لاحقا.",
                              "Trop de réponses pour cette adresse au cours de la dernière heure. "
                              "Réessayez plus tard."},
};

char *ag_rsvp_page_refused(ag_rsvp_verdict verdict, size_t *len)
{
    if ((unsigned)verdict >= sizeof refusals / sizeof refusals[0] || !refusals[verdict].id)
        verdict = AG_RSVP_TAMPERED;
    char *buf = NULL;
    FILE *f = begin(&buf, len, "تعذر تسجيل الرد", "Réponse impossible");
    if (!f)
        return NULL;
    section(f, "ar");
    fprintf(f, "<h1>تعذر تسجيل الرد</h1>\n<p class=\"refused\" id=\"%s\">%s</p>\n</section>\n",
            refusals[verdict].id, refusals[verdict].ar);
    section(f, "fr");
    fprintf(f, "<h1>Réponse impossible</h1>\n<p class=\"refused\">%s</p>\n</section>\n",
            refusals[verdict].fr);
    return end(f, &buf);
}

char *ag_rsvp_page_unavailable(size_t *len)
{
    char *buf = NULL;
    FILE *f = begin(&buf, len, "الخدمة غير متوفرة", "Service indisponible");
    if (!f)
        return NULL;
    section(f, "ar");
    fputs("<p>الخدمة غير متوفرة حاليا. أعيدوا المحاولة بعد قليل.</p>\n</section>\n", f);
    section(f, "fr");
    fputs("<p>Service momentanément indisponible. Réessayez dans quelques minutes.</p>\n"
          "</section>\n",
          f);
    return end(f, &buf);
}

char *ag_rsvp_page_checklist(const ag_rsvp_page_event *ev, const char *date,
                             const ag_rsvp_check_row *rows, size_t n, const char *form_token,
                             size_t *len)
{
    char *buf = NULL;
    FILE *f = begin(&buf, len, "الحضور", "Présences");
    if (!f)
        return NULL;
    section(f, "ar");
    fputs("<h1>الحضور</h1>\n", f);
    event_lines(f, ev, "ar");
    fputs("<p>الجلسة: <bdi dir=\"ltr\">", f);
    ag_html_text(f, date);
    fputs("</bdi></p>\n<p>ضعوا علامة على الأعضاء الحاضرين، ثم اضغطوا على «حفظ». الأعضاء بدون "
          "علامة يسجلون غائبين.</p>\n</section>\n",
          f);
    section(f, "fr");
    fputs("<h1>Présences</h1>\n", f);
    event_lines(f, ev, "fr");
    fputs("<p>Séance du <bdi>", f);
    ag_html_text(f, date);
    fputs("</bdi></p>\n<p>Cochez les membres présents, puis appuyez sur « Enregistrer ». Les "
          "membres non cochés sont notés absents.</p>\n</section>\n",
          f);
    fputs("<form method=\"post\">\n<input type=\"hidden\" name=\"form\" value=\"", f);
    ag_html_text(f, form_token);
    fputs("\">\n", f);
    for (size_t i = 0; i < n; i++) {
        const ag_member *m = rows[i].member;
        fputs("<label><input type=\"checkbox\" name=\"m.", f);
        ag_html_text(f, m->id);
        fprintf(f, "\" value=\"1\"%s> ", rows[i].checked ? " checked" : "");
        ag_html_text(f, ag_text_get(&m->name, "ar"));
        fputs(" · <span lang=\"fr\" dir=\"ltr\">", f);
        ag_html_text(f, ag_text_get(&m->name, "fr"));
        fputs("</span></label>\n", f);
    }
    fputs("<button type=\"submit\" id=\"save\">حفظ · Enregistrer</button>\n</form>\n", f);
    return end(f, &buf);
}

char *ag_rsvp_page_checklist_saved(const ag_rsvp_page_event *ev, const char *date, int present,
                                   int absent, size_t *len)
{
    char *buf = NULL;
    FILE *f = begin(&buf, len, "تم حفظ الحضور", "Présences enregistrées");
    if (!f)
        return NULL;
    section(f, "ar");
    event_lines(f, ev, "ar");
    fputs("<p id=\"saved\">تم حفظ الحضور لجلسة <bdi dir=\"ltr\">", f);
    ag_html_text(f, date);
    fprintf(f,
            "</bdi>: %d حاضر، %d غائب.</p>\n<p>يمكنكم فتح الرابط من جديد لتصحيح القائمة.</p>\n"
            "</section>\n",
            present, absent);
    section(f, "fr");
    event_lines(f, ev, "fr");
    fputs("<p>Présences de la séance du <bdi>", f);
    ag_html_text(f, date);
    fprintf(f,
            "</bdi> enregistrées : %d présents, %d absents.</p>\n<p>Vous pouvez rouvrir le lien "
            "pour corriger la liste.</p>\n</section>\n",
            present, absent);
    return end(f, &buf);
}

static void rate_cell(FILE *f, int num, int den)
{
    if (den > 0)
        fprintf(f, "<td class=\"n\"><bdi dir=\"ltr\">%.1f %%</bdi></td>", 100.0 * num / den);
    else
        fputs("<td class=\"n\">—</td>", f);
}

static void both(FILE *f, const ag_text *t)
{
    ag_html_text(f, ag_text_get(t, "ar"));
    fputs(" · <span lang=\"fr\" dir=\"ltr\">", f);
    ag_html_text(f, ag_text_get(t, "fr"));
    fputs("</span>", f);
}

static void members_table(FILE *f, const ag_config *cfg, const ag_rsvp_transparency *t)
{
    fputs("<h2>الأعضاء · <span lang=\"fr\" dir=\"ltr\">Membres</span></h2>\n<table "
          "id=\"members\">\n<tr><th>العضو · Membre</th><th>الدعوات · Invitations</th>"
          "<th>الردود · Réponses</th><th>نسبة الحضور · Taux de présence</th></tr>\n",
          f);
    for (size_t i = 0; i < t->n_members && i < cfg->n_members; i++) {
        const ag_rsvp_member_stats *m = &t->members[i];
        fputs("<tr data-member=\"", f);
        ag_html_text(f, m->member);
        fputs("\"><td>", f);
        both(f, &cfg->members[i].name);
        fprintf(f, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td>", m->invited, m->replies);
        rate_cell(f, m->present, m->marked);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void axes_table(FILE *f, const ag_config *cfg, const ag_rsvp_transparency *t)
{
    fputs("<h2>المحاور · <span lang=\"fr\" dir=\"ltr\">Axes</span></h2>\n<table "
          "id=\"axes\">\n<tr><th>المحور · Axe</th><th>الاجتماعات المنعقدة · Réunions tenues</th>"
          "<th>المحاضر في الآجال · Procès-verbaux dans les délais</th>"
          "<th>النسبة · Part</th></tr>\n",
          f);
    size_t k = 0;
    for (size_t i = 0; i < cfg->n_categories && k < t->n_axes; i++) {
        if (!cfg->categories[i].axis)
            continue;
        const ag_rsvp_axis_stats *a = &t->axes[k++];
        fputs("<tr data-axis=\"", f);
        ag_html_text(f, a->axis);
        fputs("\"><td>", f);
        both(f, &cfg->categories[i].name);
        fprintf(f, "</td><td class=\"n\">%d</td><td class=\"n\">%d / %d</td>", a->held, a->on_time,
                a->due);
        rate_cell(f, a->on_time, a->due);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

char *ag_rsvp_page_transparency(const ag_config *cfg, const ag_rsvp_transparency *t, size_t *len)
{
    char *buf = NULL;
    FILE *f = begin(&buf, len, "الشفافية", "Transparence");
    if (!f)
        return NULL;
    section(f, "ar");
    fputs("<h1>الشفافية</h1>\n<p>خلال الاثني عشر شهرا الأخيرة: لكل عضو، الاجتماعات التي دعي "
          "إليها والتي تنشر الحضور، وردوده، ونسبة حضوره؛ ولكل محور، الاجتماعات المنعقدة ونسبة "
          "المحاضر المنشورة في الآجال.</p>\n</section>\n",
          f);
    section(f, "fr");
    fputs("<h1>Transparence</h1>\n<p>Sur les douze derniers mois : par membre, les réunions "
          "publiant les présences auxquelles il était invité, ses réponses et son taux de "
          "présence ; par axe, les réunions tenues et la part de procès-verbaux publiés dans les "
          "délais.</p>\n<p><a href=\"transparency.csv\">CSV</a></p>\n</section>\n",
          f);
    members_table(f, cfg, t);
    axes_table(f, cfg, t);
    return end(f, &buf);
}
