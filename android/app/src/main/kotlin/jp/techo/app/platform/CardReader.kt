package jp.techo.app.platform

import android.app.Activity
import android.nfc.NfcAdapter
import android.nfc.Tag

/**
 * Reader mode for one screen: while it is on, the phone looks only for ISO-DEP cards (no NDEF
 * check, no system sound that could make the holder move the card) and hands each one over.
 * Reader mode ends when the screen pauses: call [start] again from `onResume`.
 */
class CardReader(private val activity: Activity, private val onTag: (Tag) -> Unit) {
    enum class State {
        /** The phone has no NFC: the card cannot be read here. */
        MISSING,
        /** NFC is switched off in the settings. */
        OFF,
        ON,
    }

    private val adapter: NfcAdapter? = NfcAdapter.getDefaultAdapter(activity)

    val state: State
        get() = when {
            adapter == null -> State.MISSING
            !adapter.isEnabled -> State.OFF
            else -> State.ON
        }

    /** Turns reader mode on; returns the state, which says why it could not be. */
    fun start(): State {
        val s = state
        if (s == State.ON) {
            adapter?.enableReaderMode(
                activity,
                { tag -> onTag(tag) },
                NfcAdapter.FLAG_READER_NFC_A or NfcAdapter.FLAG_READER_NFC_B or
                    NfcAdapter.FLAG_READER_SKIP_NDEF_CHECK or NfcAdapter.FLAG_READER_NO_PLATFORM_SOUNDS,
                null,
            )
        }
        return s
    }

    fun stop() {
        if (state == State.ON) adapter?.disableReaderMode(activity)
    }
}
