package jp.techo.app.presenter

/**
 * When the app asks for the app lock: at start, and again when it comes back after more than
 * [relockAfterMillis] in the background (a phone put down unlocked and picked up by someone
 * else). Moving between the app's own screens never asks: the next screen starts before the
 * last one stops. [clock] is monotonic milliseconds (`SystemClock.elapsedRealtime` on a phone).
 */
class LockPolicy(
    private val relockAfterMillis: Long = 60_000,
    private val clock: () -> Long,
) {
    private var unlocked = false
    private var visibleScreens = 0
    private var backgroundSince: Long? = null

    val needsUnlock: Boolean
        get() = !unlocked

    /** The holder passed the biometric or lock-screen prompt. */
    fun unlocked() {
        unlocked = true
    }

    fun screenStarted() {
        val since = backgroundSince
        if (visibleScreens == 0 && since != null && clock() - since > relockAfterMillis) {
            unlocked = false
        }
        backgroundSince = null
        visibleScreens++
    }

    fun screenStopped() {
        visibleScreens = maxOf(0, visibleScreens - 1)
        if (visibleScreens == 0) backgroundSince = clock()
    }
}
