package jp.techo.app.ui

import android.content.Intent
import android.graphics.BitmapFactory
import android.net.Uri
import android.os.Bundle
import android.provider.MediaStore
import android.text.InputType
import android.view.View
import android.view.WindowManager
import android.widget.EditText
import android.widget.ImageView
import android.widget.LinearLayout
import android.widget.RadioButton
import android.widget.RadioGroup
import android.widget.TextView
import jp.techo.app.platform.CardReader
import jp.techo.app.platform.PhotoFiles
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.FieldProblem
import uniffi.techo_ffi.HandbookForm
import uniffi.techo_ffi.PinPad
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.readCardIdentity

/**
 * Register a handbook: its fields typed from the paper handbook, the face photo from the photo
 * picker or the camera (its metadata is removed by the core before it is stored), and the
 * holder's name and birth date read from the My Number card. The core checks everything and
 * names each wrong field, shown under that field; what was typed stays.
 */
class RegisterActivity : TechoActivity() {
    /** The form's fields in order: key, Japanese and English labels, input type. */
    private data class FieldSpec(val key: String, val ja: String, val en: String, val input: Int = InputType.TYPE_CLASS_TEXT)

    private val kinds = listOf("physical" to ("身体障害者手帳" to "Physical disability"),
        "mental" to ("精神障害者保健福祉手帳" to "Mental health"),
        "intellectual" to ("療育手帳" to "Intellectual (療育)"))
    private val fields = listOf(
        FieldSpec("grade", "等級（身体・精神）", "Grade (physical, mental)"),
        FieldSpec("label", "判定区分（療育：手帳の記載どおり）", "Grade as printed (療育)"),
        FieldSpec("fare_class", "旅客運賃減額（第1種・第2種）", "Fare discount class (第1種 / 第2種)"),
        FieldSpec("number", "手帳番号", "Handbook number"),
        FieldSpec("municipality_code", "交付自治体コード（6桁）", "Municipality code (6 digits)", InputType.TYPE_CLASS_NUMBER),
        FieldSpec("municipality_name", "交付自治体", "Issuing municipality"),
        FieldSpec("issued", "交付年月日（例 2018-04-02）", "Date issued (e.g. 2018-04-02)", InputType.TYPE_CLASS_DATETIME),
        FieldSpec("expires", "有効期限（精神）", "Valid until (mental health)", InputType.TYPE_CLASS_DATETIME),
        FieldSpec("holder_name", "氏名", "Name"),
        FieldSpec("holder_kana", "フリガナ", "Name in kana"),
        FieldSpec("holder_birth_date", "生年月日（例 1979-07-20）", "Date of birth (e.g. 1979-07-20)", InputType.TYPE_CLASS_DATETIME),
    )
    private var kind = "physical"
    private val inputs = mutableMapOf<String, EditText>()
    private val errors = mutableMapOf<String, TextView>()
    private var photo: ByteArray? = null
    private lateinit var photoView: ImageView
    private lateinit var photoError: TextView
    private lateinit var status: TextView
    private val pin = PinPad()
    private lateinit var pad: PinPadView
    private lateinit var reader: CardReader
    private var waitingForCard = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        reader = CardReader(this) { tag -> onTag(tag) }
        savedInstanceState?.getString("kind")?.let { kind = it }
        photo = savedInstanceState?.getByteArray("photo")
        build()
        savedInstanceState?.let { saved -> inputs.forEach { (k, v) -> saved.getString("field.$k")?.let(v::setText) } }
        photo?.let(::showPhoto)
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        outState.putString("kind", kind)
        inputs.forEach { (k, v) -> outState.putString("field.$k", v.text.toString()) }
        photo?.let { outState.putByteArray("photo", it) }
    }

    /** Built once: later changes touch only what changed, so nothing typed is lost. */
    private fun build() = screen {
        text(t("手帳を登録", "Register a handbook"), 26f, bold = true)
        status = text("", 18f, tag = "register.status").apply { visibility = View.GONE }
        text(t("手帳の種類", "Kind of handbook"), bold = true)
        addView(RadioGroup(context).apply {
            for ((key, labels) in kinds) {
                addView(RadioButton(context).apply {
                    minHeight = dp(48)
                    textSize = 18f
                    text = pick(lang, labels.first, labels.second)
                    tag = "kind.$key"
                    isChecked = key == kind
                    setOnClickListener { kind = key; showFieldsForKind() }
                })
            }
        })
        for (f in fields) {
            val label = text(pick(lang, f.ja, f.en), 16f)
            val input = EditText(context).apply {
                inputType = f.input
                tag = "field.${f.key}"
                contentDescription = pick(lang, f.ja, f.en)
                textSize = 18f
            }
            val error = TextView(context).apply {
                setTextColor(0xFFB00020.toInt())
                tag = "error.${f.key}"
                visibility = View.GONE
            }
            addView(input)
            addView(error)
            inputs[f.key] = input
            errors[f.key] = error
            label.labelFor = View.generateViewId().also { input.id = it }
        }
        text(t("顔写真（窓口で本人と見比べます）", "Face photo (staff compare it with you)"), bold = true)
        photoView = ImageView(context).apply {
            adjustViewBounds = true
            maxHeight = dp(240)
            contentDescription = t("登録する顔写真", "The face photo to register")
            visibility = View.GONE
        }
        addView(photoView)
        photoError = TextView(context).apply { setTextColor(0xFFB00020.toInt()); tag = "error.photo"; visibility = View.GONE }
        addView(photoError)
        button(t("写真を選ぶ", "Choose a photo"), tag = "photo.pick") { pickPhoto() }
        button(t("写真を撮る", "Take a photo"), tag = "photo.camera") { takePhoto() }
        text(t("マイナンバーカードから氏名・生年月日を読み取る（暗証番号4桁）", "Read name and birth date from the My Number card (4-digit PIN)"), bold = true)
        pad = PinPadView(context, lang, { d -> onPinKey { pin.press(d.toUByte()) } }, { onPinKey { pin.backspace() } })
        pad.show(0, 4)
        addView(pad)
        button(t("登録する", "Register"), tag = "register.submit") { submit() }
        showFieldsForKind()
    }

    /** Fields that do not apply to the chosen kind are hidden (their text is kept). */
    private fun showFieldsForKind() {
        val hidden = when (kind) {
            "intellectual" -> setOf("grade", "expires")
            "mental" -> setOf("label")
            else -> setOf("label", "expires")
        }
        for (f in fields) {
            val v = if (f.key in hidden) View.GONE else View.VISIBLE
            inputs.getValue(f.key).visibility = v
            val index = (inputs.getValue(f.key).parent as LinearLayout).indexOfChild(inputs.getValue(f.key))
            (inputs.getValue(f.key).parent as LinearLayout).getChildAt(index - 1).visibility = v
        }
    }

    private fun onPinKey(key: () -> UByte) {
        val entered = key().toInt()
        pad.show(entered, 4)
        if (pin.isComplete()) {
            waitingForCard = true
            say(t("カードをスマホの背面にかざしてください", "Hold the card to the back of the phone"))
            when (reader.start()) {
                CardReader.State.ON -> {}
                CardReader.State.OFF -> say(t("NFC がオフです。設定でオンにしてください", "NFC is off: turn it on in the settings"))
                CardReader.State.MISSING -> say(t("この端末は NFC に対応していません", "This phone has no NFC"))
            }
        }
    }

    override fun onResume() {
        super.onResume()
        if (waitingForCard) reader.start()
    }

    override fun onPause() {
        reader.stop()
        super.onPause()
    }

    private fun onTag(tag: android.nfc.Tag) {
        if (!waitingForCard) return
        val card = app.platform.cardTransport(tag) ?: return
        waitingForCard = false
        scope.launch {
            val message = try {
                val identity = withContext(Dispatchers.IO) {
                    try {
                        readCardIdentity(card, pin, false)
                    } finally {
                        (card as? AutoCloseable)?.close()
                    }
                }
                inputs.getValue("holder_name").setText(identity.name)
                inputs.getValue("holder_birth_date").setText(identity.birthDate)
                t("カードから読み取りました", "Read from the card")
            } catch (e: TechoException) {
                e.message
            } finally {
                reader.stop()
                pin.clear()
                pad.show(0, 4)
            }
            say(message ?: "")
        }
    }

    private fun say(message: String) {
        status.text = message
        status.visibility = if (message.isEmpty()) View.GONE else View.VISIBLE
    }

    private fun pickPhoto() = startActivityForResult(PhotoFiles.pickIntent(), PICK_PHOTO)

    private fun takePhoto() {
        val target = PhotoFiles.captureUri(this)
        startActivityForResult(
            Intent(MediaStore.ACTION_IMAGE_CAPTURE)
                .putExtra(MediaStore.EXTRA_OUTPUT, target)
                .addFlags(Intent.FLAG_GRANT_WRITE_URI_PERMISSION),
            TAKE_PHOTO,
        )
    }

    override fun onResult(requestCode: Int, resultCode: Int, data: Intent?) {
        if (resultCode != RESULT_OK) return
        val uri: Uri = when (requestCode) {
            PICK_PHOTO -> data?.data ?: return
            TAKE_PHOTO -> PhotoFiles.captureUri(this)
            else -> return
        }
        scope.launch {
            val bytes = withContext(Dispatchers.IO) { PhotoFiles.read(this@RegisterActivity, uri) }
            if (bytes == null) {
                photoError.text = t("写真を読み込めませんでした", "The photo could not be read")
                photoError.visibility = View.VISIBLE
            } else {
                photo = bytes
                showPhoto(bytes)
            }
        }
    }

    private fun showPhoto(bytes: ByteArray) {
        BitmapFactory.decodeByteArray(bytes, 0, bytes.size)?.let { photoView.setImageBitmap(it) }
        photoView.visibility = View.VISIBLE
        photoError.visibility = View.GONE
    }

    private fun value(key: String) = inputs.getValue(key).text.toString().trim().ifEmpty { null }

    private fun form() = HandbookForm(
        kind = kind,
        grade = value("grade").takeIf { kind != "intellectual" },
        label = value("label").takeIf { kind == "intellectual" },
        fareClass = value("fare_class"),
        number = value("number"),
        municipalityCode = value("municipality_code"),
        municipalityName = value("municipality_name"),
        issued = value("issued"),
        expires = value("expires").takeIf { kind == "mental" },
        holderName = value("holder_name"),
        holderKana = value("holder_kana"),
        holderBirthDate = value("holder_birth_date"),
    )

    private fun submit() {
        errors.values.forEach { it.visibility = View.GONE }
        photoError.visibility = View.GONE
        try {
            app.wallet.register(form(), photo, lang)
            finish()
        } catch (e: TechoException.InvalidHandbook) {
            showProblems(e.fields)
            say(t("赤字の項目を確認してください", "Please check the fields marked in red"))
        }
    }

    private fun showProblems(problems: List<FieldProblem>) {
        for (p in problems) {
            val view = if (p.field == "photo") photoError else errors[p.field] ?: status
            view.text = p.message
            view.visibility = View.VISIBLE
        }
    }

    override fun onDestroy() {
        pin.clear()
        pin.close()
        super.onDestroy()
    }

    private companion object {
        const val PICK_PHOTO = 1
        const val TAKE_PHOTO = 2
    }
}
