package jp.techo.app.ui

import android.content.SharedPreferences
import android.text.InputType
import android.view.View
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.RadioButton
import android.widget.RadioGroup
import java.time.LocalDate
import java.time.ZoneId
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.OperatorDirectory
import uniffi.techo_ffi.SiteTrip
import uniffi.techo_ffi.StaffPolicy

/**
 * The operator staff work for, picked from the issuer-signed directory and remembered, and the
 * questions of the trip its rules depend on (the distance for a "holder alone only over 100 km"
 * rule, whether a caregiver travels). With no operator chosen, staff mode checks validity only.
 */
class StaffOperatorPanel(
    private val panel: LinearLayout,
    private val lang: Language,
    private val prefs: SharedPreferences,
) {
    /** The checked directory the operator was chosen from (its coupons, for redemptions). */
    var directory: OperatorDirectory? = null
        private set
    var policy: StaffPolicy? = null
        private set
    private var distance: EditText? = null
    private var caregiver: Boolean? = null

    private fun t(ja: String, en: String) = pick(lang, ja, en)

    /** Shows the operator remembered last time, if the directory still lists it. */
    fun bind(directory: OperatorDirectory?) {
        this.directory = directory
        policy?.destroy()
        policy = prefs.getString(KEY, null)?.let { id -> directory?.policy(id) }
        showChoice()
    }

    /** The trip as staff answered it, on today's date in Japan. */
    fun trip(): SiteTrip = SiteTrip(
        LocalDate.now(ZoneId.of("Asia/Tokyo")).toString(),
        distance?.text?.toString()?.trim()?.toUIntOrNull(),
        caregiver,
    )

    private fun showChoice() {
        panel.removeAllViews()
        val p = policy
        panel.text(
            if (p == null) {
                t("事業者：未選択（有効性のみ確認）", "Operator: none (validity only)")
            } else {
                t("事業者：", "Operator: ") + p.name(lang)
            },
            18f,
            bold = true,
            tag = "staff.operator",
        )
        val dir = directory
        if (dir == null) {
            panel.text(t("事業者一覧を取得できません", "The operator directory is not available"), 16f, tag = "staff.no_directory")
        } else {
            panel.button(t("事業者を選ぶ", "Choose the operator"), tag = "staff.change_operator") { showOperators(dir) }
        }
        distance = null
        caregiver = null
        p?.let { tokenField(it.id()) }
        val asks = p?.asks() ?: return
        if (asks.distance) {
            distance = EditText(panel.context).apply {
                hint = t("片道の距離（km）", "One-way distance (km)")
                inputType = InputType.TYPE_CLASS_NUMBER
                tag = "staff.distance"
                textSize = 18f
            }.also { panel.addView(it) }
        }
        if (asks.caregiver) caregiverChoice()
    }

    /**
     * The operator's token from support, for sending coupon redemptions; kept in the app's
     * private preferences, never shown again once saved.
     */
    private fun tokenField(operator: String) {
        val saved = token(operator) != null
        val field = EditText(panel.context).apply {
            tag = "staff.token"
            hint = if (saved) t("事業者トークン：設定済み", "Operator token: set") else t("事業者トークン（クーポンの記録用）", "Operator token (for coupon redemptions)")
            inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_VARIATION_PASSWORD
        }
        panel.addView(field)
        panel.button(t("トークンを保存", "Save the token"), tag = "staff.token.save") {
            val typed = field.text.toString().trim()
            if (typed.isNotEmpty()) prefs.edit().putString("$TOKEN$operator", typed).apply()
            showChoice()
        }
    }

    /** The operator's token, when staff saved one. */
    fun token(operator: String): String? = prefs.getString("$TOKEN$operator", null)

    /** Whether a caregiver travels: unknown until staff answer (the verdict then says both). */
    private fun caregiverChoice() {
        val group = RadioGroup(panel.context).apply { orientation = RadioGroup.VERTICAL }
        listOf(
            Triple("staff.caregiver.unknown", t("介護者：未確認", "Caregiver: not asked"), null),
            Triple("staff.caregiver.yes", t("同行", "travelling"), true),
            Triple("staff.caregiver.no", t("本人のみ", "holder alone"), false),
        ).forEach { (tag, label, value) ->
            group.addView(
                RadioButton(panel.context).apply {
                    // A RadioGroup keeps one checked only among buttons with ids.
                    id = View.generateViewId()
                    text = label
                    textSize = 16f
                    minHeight = dp(48)
                    minWidth = dp(48)
                    this.tag = tag
                    isChecked = value == null
                    setOnClickListener { caregiver = value }
                },
            )
        }
        panel.addView(group)
    }

    private fun showOperators(dir: OperatorDirectory) {
        panel.removeAllViews()
        panel.text(t("どの事業者の窓口ですか", "Which operator is this counter?"), 18f, bold = true, tag = "staff.choose")
        dir.operators(lang).forEach { o ->
            panel.button("${o.name}（${o.area}）", tag = "operator.${o.id}") { choose(o.id) }
        }
        panel.button(t("選ばない（有効性のみ確認）", "None (check validity only)"), tag = "operator.none") { choose(null) }
    }

    private fun choose(id: String?) {
        prefs.edit().apply { if (id == null) remove(KEY) else putString(KEY, id) }.apply()
        policy?.destroy()
        policy = id?.let { directory?.policy(it) }
        showChoice()
    }

    fun close() {
        policy?.destroy()
        directory?.destroy()
    }

    private companion object {
        const val KEY = "operator"
        const val TOKEN = "token."
    }
}
