package jp.techo.app.presenter

import uniffi.techo_ffi.CardIdentity
import uniffi.techo_ffi.HandbookSummary
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.Wallet

/**
 * The register form. The holder's name and birth date can be pre-filled from the card's basic
 * four facts; the handbook's own fields are typed from the paper handbook. The core validates
 * everything and names each wrong field, which the form shows next to that field.
 */
class RegisterPresenter(private val wallet: Wallet, private val lang: Language) {
    val fields = linkedMapOf(
        "kind" to "physical",
        "grade" to "",
        "label" to "",
        "fare_class" to "",
        "number" to "",
        "municipality_code" to "",
        "municipality_name" to "",
        "issued" to "",
        "expires" to "",
        "holder.name" to "",
        "holder.kana" to "",
        "holder.birth_date" to "",
    )

    /** Field key → message, after a refused registration. */
    var errors: Map<String, String> = emptyMap()
        private set

    fun set(key: String, value: String) {
        require(key in fields) { "unknown field $key" }
        fields[key] = value
    }

    /** Name and birth date from the card (the address stays on the card: not needed here). */
    fun prefill(identity: CardIdentity) {
        fields["holder.name"] = identity.name
        fields["holder.birth_date"] = identity.birthDate
    }

    /** The handbook file the core reads (TOML), strings escaped, empty fields left out. */
    fun toToml(): String {
        val top = StringBuilder()
        val holder = StringBuilder("\n[holder]\n")
        for ((key, value) in fields) {
            if (value.isBlank()) continue
            val line = "${key.substringAfter('.')} = ${quote(value.trim())}\n"
            if (key.startsWith("holder.")) holder.append(line) else top.append(line)
        }
        return top.toString() + holder
    }

    /** Registers the handbook, or keeps the form with each wrong field marked. */
    fun register(photo: ByteArray?): HandbookSummary? = try {
        wallet.registerToml(toToml(), photo, lang).also { errors = emptyMap() }
    } catch (e: TechoException.InvalidHandbook) {
        errors = fieldErrors(e.detail)
        null
    }

    /** The core lists one problem per line as `field: message`. */
    private fun fieldErrors(detail: String): Map<String, String> {
        val out = linkedMapOf<String, String>()
        for (line in detail.lines()) {
            val key = fields.keys.firstOrNull { k ->
                val bare = k.substringAfter('.')
                line.contains(k) || line.trimStart('-', ' ', '•').startsWith(bare)
            } ?: "form"
            out.merge(key, line.trim()) { a, b -> "$a\n$b" }
        }
        return out
    }

    companion object {
        /** A TOML basic string: quotes, backslashes and control characters escaped. */
        fun quote(text: String): String = buildString {
            append('"')
            for (c in text) {
                when {
                    c == '"' -> append("\\\"")
                    c == '\\' -> append("\\\\")
                    c == '\n' -> append("\\n")
                    c < ' ' || c == '\u007f' -> append("\\u%04X".format(c.code))
                    else -> append(c)
                }
            }
            append('"')
        }
    }
}
