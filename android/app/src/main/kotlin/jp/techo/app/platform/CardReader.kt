package jp.techo.app.platform

import android.app.Activity
import android.nfc.NfcAdapter
import android.nfc.Tag
import android.nfc.tech.IsoDep

/**
 * Reader mode for one screen: while it is on, the phone looks only for ISO-DEP cards (no NDEF
 * check, no system sound that could make the holder move the card) and hands each one over.
 */
class CardReader(private val activity: Activity, private val onCard: (IsoDepTransport) -> Unit) {
    private val adapter: NfcAdapter? = NfcAdapter.getDefaultAdapter(activity)

    /** No NFC hardware, or NFC switched off in settings: the screen says which. */
    val available: Boolean get() = adapter != null
    val enabled: Boolean get() = adapter?.isEnabled == true

    fun start() {
        adapter?.enableReaderMode(
            activity,
            { tag: Tag ->
                IsoDep.get(tag)?.let { isoDep -> onCard(IsoDepTransport(isoDep)) }
            },
            NfcAdapter.FLAG_READER_NFC_A or NfcAdapter.FLAG_READER_NFC_B or
                NfcAdapter.FLAG_READER_SKIP_NDEF_CHECK or NfcAdapter.FLAG_READER_NO_PLATFORM_SOUNDS,
            null,
        )
    }

    fun stop() {
        adapter?.disableReaderMode(activity)
    }
}
