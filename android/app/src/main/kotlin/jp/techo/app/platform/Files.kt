package jp.techo.app.platform

import java.io.File

/**
 * Replaces this file's content whole: written beside it, then renamed over it, so a reader (or
 * the app after a crash) sees the old bytes or the new ones, never half. `false`: not replaced.
 */
fun File.replaceWith(bytes: ByteArray): Boolean {
    val tmp = File("$path.tmp")
    tmp.writeBytes(bytes)
    return tmp.renameTo(this)
}
