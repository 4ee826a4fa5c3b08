package jp.techo.app.background

import android.Manifest
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import jp.techo.app.ui.MainActivity
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.LinkageNotice

/**
 * Local notifications for linkage changes. The words are the core's ([LinkageNotice.title],
 * [LinkageNotice.body]); this only posts them, one per handbook (a newer notice replaces an
 * older one), and opens the list when tapped.
 */
object LinkageNotifications {
    const val CHANNEL = "linkage"

    /** Whether the holder lets the app post (Android 13+ asks; earlier versions always may). */
    fun allowed(context: Context): Boolean =
        Build.VERSION.SDK_INT < 33 ||
            context.checkSelfPermission(Manifest.permission.POST_NOTIFICATIONS) == PackageManager.PERMISSION_GRANTED

    /** Posts [notice]; returns false when notifications are not allowed (the list still shows it). */
    fun post(context: Context, notice: LinkageNotice, lang: Language): Boolean {
        if (!allowed(context)) return false
        val manager = context.getSystemService(NotificationManager::class.java) ?: return false
        if (Build.VERSION.SDK_INT >= 26) {
            val name = if (lang == Language.JAPANESE) "マイナポータル連携" else "Portal linkage"
            manager.createNotificationChannel(NotificationChannel(CHANNEL, name, NotificationManager.IMPORTANCE_DEFAULT))
        }
        val open = PendingIntent.getActivity(
            context,
            0,
            Intent(context, MainActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_CLEAR_TOP),
            PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
        )
        val builder = if (Build.VERSION.SDK_INT >= 26) {
            Notification.Builder(context, CHANNEL)
        } else {
            @Suppress("DEPRECATION")
            Notification.Builder(context)
        }
        val notification = builder
            .setSmallIcon(android.R.drawable.stat_notify_sync)
            .setContentTitle(notice.title)
            .setContentText(notice.body)
            .setStyle(Notification.BigTextStyle().bigText(notice.body))
            .setContentIntent(open)
            .setAutoCancel(true)
            .build()
        manager.notify(notice.handbookId.hashCode(), notification)
        return true
    }
}
