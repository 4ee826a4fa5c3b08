package jp.techo.app.ui

import android.os.Bundle
import android.text.InputType
import android.view.View
import android.widget.CheckBox
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.RadioButton
import android.widget.RadioGroup
import uniffi.techo_ffi.BatteryType
import uniffi.techo_ffi.PoweredSpec
import uniffi.techo_ffi.SupportCode
import uniffi.techo_ffi.SupportItem
import uniffi.techo_ffi.SupportProfile
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.supportChoices

/**
 * The support profile the holder declares (mobility equipment, with a powered chair's battery
 * and size; assistance wanted; communication), each item with "show on the counter screen" and
 * "put in the QR code". Staff see it marked as self-declared. The core checks it on save and
 * names the item that is wrong.
 */
class ProfileActivity : TechoActivity() {
    private val chosen = linkedMapOf<SupportCode, SupportItem>()
    private var note: String? = null
    private var message: String? = null
    private lateinit var column: LinearLayout

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val profile = app.wallet.supportProfile()
        profile.items.forEach { chosen[it.code] = it }
        note = profile.note
        render()
    }

    private fun tagOf(code: SupportCode) = "profile.${code.name.lowercase()}"

    private fun render() {
        column = screen {
            text(t("支援の情報（本人申告）", "Support profile (self-declared)"), 26f, bold = true)
            text(t("窓口では「本人申告」と表示されます。発行元は確認していません。", "Counters see it marked self-declared: the issuer has not checked it."), 16f)
            message?.let { text(it, 18f, bold = true, tag = "profile.message") }
            var group: String? = null
            for (choice in supportChoices(lang)) {
                if (choice.group != group) {
                    group = choice.group
                    text(choice.group, 20f, bold = true)
                }
                val item = chosen[choice.code]
                check(choice.label, tagOf(choice.code), item != null) { on ->
                    collect()
                    if (on) chosen[choice.code] = SupportItem(choice.code, null, true, true) else chosen.remove(choice.code)
                    render()
                }
                if (item == null) continue
                check(t("画面に表示", "Show on the counter screen"), "${tagOf(choice.code)}.screen", item.onScreen) { on ->
                    collect()
                    chosen[choice.code] = chosen.getValue(choice.code).copy(onScreen = on)
                }
                check(t("QRコードに入れる", "Put in the QR code"), "${tagOf(choice.code)}.qr", item.inQr) { on ->
                    collect()
                    chosen[choice.code] = chosen.getValue(choice.code).copy(inQr = on)
                }
                if (choice.needsPoweredDetails) powered(choice.code, item.powered)
            }
            addView(
                EditText(context).apply {
                    tag = "profile.note"
                    hint = t("ひとこと（例：乗り換えで介助が必要です）", "A note (e.g. help needed at transfers)")
                    setText(note.orEmpty())
                },
            )
            button(t("保存", "Save"), tag = "profile.save") { save() }
        }
    }

    private fun LinearLayout.check(label: String, tag: String, on: Boolean, changed: (Boolean) -> Unit) {
        addView(
            CheckBox(context).apply {
                text = label
                this.tag = tag
                textSize = 18f
                minHeight = dp(48)
                isChecked = on
                setOnClickListener { changed(isChecked) }
            },
        )
    }

    /** A powered chair's battery and size: what airlines and rail staff ask for. */
    private fun LinearLayout.powered(code: SupportCode, spec: PoweredSpec?) {
        val base = tagOf(code)
        val group = RadioGroup(context).apply { tag = "$base.battery" }
        listOf(
            BatteryType.LITHIUM_ION to t("リチウムイオン", "lithium-ion"),
            BatteryType.SEALED_LEAD_ACID to t("密閉型鉛", "sealed lead-acid"),
            BatteryType.NICKEL_METAL_HYDRIDE to t("ニッケル水素", "nickel-metal hydride"),
        ).forEach { (type, label) ->
            group.addView(
                RadioButton(context).apply {
                    id = View.generateViewId()
                    text = label
                    tag = "$base.battery.${type.name.lowercase()}"
                    minHeight = dp(48)
                    isChecked = (spec?.battery ?: BatteryType.LITHIUM_ION) == type
                },
            )
        }
        addView(group)
        fun number(key: String, hint: String, value: UInt?) = addView(
            EditText(context).apply {
                tag = "$base.$key"
                this.hint = hint
                inputType = InputType.TYPE_CLASS_NUMBER
                setText(value?.toString().orEmpty())
            },
        )
        number("wh", t("バッテリー容量（Wh）", "Battery (Wh)"), spec?.wattHours)
        number("width", t("幅（cm）", "Width (cm)"), spec?.widthCm)
        number("length", t("長さ（cm）", "Length (cm)"), spec?.lengthCm)
        number("height", t("高さ（cm）", "Height (cm)"), spec?.heightCm)
        number("weight", t("重さ（kg）", "Weight (kg)"), spec?.weightKg)
    }

    /** Reads what was typed (the note, powered details) into the profile being edited. */
    private fun collect() {
        fun field(tag: String) = (column.findViewWithTag<EditText>(tag))?.text?.toString()?.trim()
        note = field("profile.note")?.ifEmpty { null }
        for ((code, item) in chosen.toMap()) {
            val base = tagOf(code)
            val wh = column.findViewWithTag<EditText>("$base.wh") ?: continue
            val battery = BatteryType.entries.firstOrNull {
                column.findViewWithTag<RadioButton>("$base.battery.${it.name.lowercase()}")?.isChecked == true
            } ?: BatteryType.LITHIUM_ION
            val n = { key: String -> field("$base.$key")?.toUIntOrNull() ?: 0u }
            chosen[code] = item.copy(
                powered = PoweredSpec(battery, wh.text.toString().trim().toUIntOrNull() ?: 0u, n("width"), n("length"), n("height"), n("weight")),
            )
        }
    }

    private fun save() {
        collect()
        message = try {
            app.wallet.setSupportProfile(SupportProfile(chosen.values.toList(), note))
            t("保存しました", "Saved")
        } catch (e: TechoException) {
            e.message
        }
        render()
    }
}
