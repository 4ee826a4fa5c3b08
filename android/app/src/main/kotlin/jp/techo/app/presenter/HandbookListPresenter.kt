package jp.techo.app.presenter

import uniffi.techo_ffi.HandbookSummary
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.LinkageStatus
import uniffi.techo_ffi.Wallet

/** One row of the handbook list. */
data class HandbookRow(
    val id: String,
    val title: String,
    val subtitle: String,
    val linked: Boolean,
    val needsAttention: Boolean,
    /** What TalkBack / VoiceOver reads for the row. */
    val spoken: String,
)

/** The home screen: registered handbooks, linked or not, and which need attention. */
class HandbookListPresenter(private val wallet: Wallet, private val lang: Language) {
    fun rows(): List<HandbookRow> = wallet.handbooks(lang).map(::row)

    private fun row(h: HandbookSummary): HandbookRow {
        val title = "${h.kindLabel} ${h.gradeLabel}".trim()
        val subtitle = listOf(h.fareClassLabel, h.linkageLabel, h.municipality)
            .filter { it.isNotBlank() }
            .joinToString(" ・ ")
        val attention = !h.validToday || h.linkage.status == LinkageStatus.PENDING
        return HandbookRow(
            id = h.id,
            title = title,
            subtitle = subtitle,
            linked = h.linkage.status == LinkageStatus.LINKED,
            needsAttention = attention,
            spoken = "$title, $subtitle",
        )
    }

    /** Makes [id] the handbook shown at the counter. */
    fun choose(id: String) = wallet.selectForCounter(id)
}
