package jp.techo.app.presenter

/**
 * The card PIN as the holder types it on the in-app keypad: digits only, at most [length],
 * kept in a char array that is wiped after every use. Never logged, never in `toString`.
 *
 * The generated binding takes the PIN as a `String` (uniffi has no borrowed secret type), so the
 * string lives only for the one call in [use]; the core zeroizes its copy after the VERIFY.
 */
class PinEntry(private val length: Int = 4) {
    private val digits = CharArray(length)
    var size = 0
        private set

    val complete: Boolean get() = size == length

    fun press(digit: Char): Boolean {
        if (digit !in '0'..'9' || size == length) return false
        digits[size++] = digit
        return true
    }

    fun backspace() {
        if (size > 0) digits[--size] = '\u0000'
    }

    fun clear() {
        digits.fill('\u0000')
        size = 0
    }

    /** Dots for the screen: one per digit typed. */
    fun masked(): String = "●".repeat(size)

    /** Hands the PIN to [block] once and wipes the entry, whatever [block] does. */
    inline fun <T> use(block: (String) -> T): T {
        val pin = reveal()
        try {
            return block(pin)
        } finally {
            clear()
        }
    }

    @PublishedApi
    internal fun reveal(): String = String(digits, 0, size)

    override fun toString(): String = "PinEntry(${masked()})"
}
