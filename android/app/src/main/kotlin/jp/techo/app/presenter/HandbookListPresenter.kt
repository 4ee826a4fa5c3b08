package jp.techo.app.presenter

import uniffi.techo_ffi.HandbookSummary
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.LinkageStatus

/** One row of the handbook list, as the list draws and TalkBack reads it. */
data class HandbookRow(
    val id: String,
    val title: String,
    val subtitle: String,
    val linked: Boolean,
    val needsAttention: Boolean,
    val spoken: String,
)

/** The home screen's rows: registered handbooks, linked or not, and which need attention. */
object HandbookRows {
    fun of(handbooks: List<HandbookSummary>, lang: Language): List<HandbookRow> = handbooks.map { h ->
        val title = "${h.kindLabel} ${h.gradeLabel}".trim()
        val subtitle = (listOf(h.fareClassLabel, h.linkageLabel, h.municipality) + h.portalChanges)
            .filter { it.isNotBlank() }
            .joinToString(" ・ ") + (h.linkage.notice?.let { "\n$it" } ?: "")
        val attention = !h.validToday || h.linkage.status == LinkageStatus.PENDING ||
            h.linkage.status == LinkageStatus.RELINK_NEEDED || h.linkage.notice != null
        val warning = if (attention) {
            if (lang == Language.JAPANESE) "要確認、" else "needs attention, "
        } else {
            ""
        }
        HandbookRow(
            id = h.id,
            title = title,
            subtitle = subtitle,
            linked = h.linkage.status == LinkageStatus.LINKED,
            needsAttention = attention,
            spoken = "$warning$title、$subtitle",
        )
    }
}
