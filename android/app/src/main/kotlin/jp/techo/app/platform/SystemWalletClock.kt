package jp.techo.app.platform

import uniffi.techo_ffi.WalletClock

/** The phone's clock. The verifier tolerates one 30-second step of difference. */
class SystemWalletClock : WalletClock {
    override fun nowUnixMillis(): Long = System.currentTimeMillis()
}
