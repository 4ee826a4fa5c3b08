import CryptoKit
import Foundation
import LocalAuthentication
import Security

/// Device keys in the Secure Enclave: P-256, usable only after Face ID / Touch ID or the passcode
/// (access control `.privateKeyUsage` + `.userPresence`). The enclave never exports the key; its
/// opaque handle is kept in the Keychain under the alias, this device only.
nonisolated final class SecureEnclaveKeyStore: DeviceKeyStore, @unchecked Sendable {
    private let service = "jp.techo.device-keys"

    func createKey(alias: String) throws -> Data {
        guard SecureEnclave.isAvailable else {
            throw DeviceKeyError.Hardware(reason: "this iPhone has no Secure Enclave")
        }
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, [.privateKeyUsage, .userPresence], &error
        ) else {
            throw DeviceKeyError.Hardware(reason: "access control: \(String(describing: error))")
        }
        do {
            let key = try SecureEnclave.P256.Signing.PrivateKey(accessControl: access)
            try store(alias: alias, handle: key.dataRepresentation)
            // SEC1 uncompressed point (04 ‖ x ‖ y); the core records it and checks every signature.
            return key.publicKey.x963Representation
        } catch let e as DeviceKeyError {
            throw e
        } catch {
            throw DeviceKeyError.Hardware(reason: error.localizedDescription)
        }
    }

    func sign(alias: String, message: Data) throws -> Data {
        guard let handle = load(alias: alias) else { throw DeviceKeyError.KeyLost }
        do {
            let key = try SecureEnclave.P256.Signing.PrivateKey(dataRepresentation: handle)
            // r ‖ s, 64 bytes: what the display token carries.
            return try key.signature(for: message).rawRepresentation
        } catch let e as LAError where e.code == .userCancel || e.code == .appCancel || e.code == .systemCancel {
            throw DeviceKeyError.UserCancelled
        } catch let e as LAError where e.code == .authenticationFailed || e.code == .notInteractive {
            // Someone else holding the phone, or no way to ask now: show the lock, then retry.
            throw DeviceKeyError.NotUnlocked
        } catch {
            throw DeviceKeyError.Hardware(reason: error.localizedDescription)
        }
    }

    func deleteKey(alias: String) throws {
        SecItemDelete(query(alias: alias) as CFDictionary)
    }

    private func query(alias: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: alias,
        ]
    }

    private func store(alias: String, handle: Data) throws {
        var item = query(alias: alias)
        item[kSecValueData as String] = handle
        item[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        SecItemDelete(query(alias: alias) as CFDictionary)
        let status = SecItemAdd(item as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw DeviceKeyError.Hardware(reason: "Keychain error \(status)")
        }
    }

    private func load(alias: String) -> Data? {
        var q = query(alias: alias)
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var out: CFTypeRef?
        guard SecItemCopyMatching(q as CFDictionary, &out) == errSecSuccess else { return nil }
        return out as? Data
    }
}

/// The store's 32-byte data key in the Keychain, this device only, readable after first unlock
/// (so a pending linkage can finish in the background). Not synced, not in backups.
nonisolated final class KeychainDataKeyProvider: DataKeyProvider, @unchecked Sendable {
    private let query: [String: Any] = [
        kSecClass as String: kSecClassGenericPassword,
        kSecAttrService as String: "jp.techo.data-key",
        kSecAttrAccount as String: "store",
    ]

    func dataKey(create: Bool) throws -> Data {
        var q = query
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var out: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &out)
        if status == errSecSuccess, let key = out as? Data { return key }
        guard create else { throw DataKeyError.Platform(reason: "no data key on this iPhone (\(status))") }
        var key = Data(count: 32)
        let rc = key.withUnsafeMutableBytes { SecRandomCopyBytes(kSecRandomDefault, 32, $0.baseAddress!) }
        guard rc == errSecSuccess else { throw DataKeyError.Platform(reason: "no randomness (\(rc))") }
        var item = query
        item[kSecValueData as String] = key
        item[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let added = SecItemAdd(item as CFDictionary, nil)
        guard added == errSecSuccess else { throw DataKeyError.Platform(reason: "Keychain error \(added)") }
        return key
    }
}

/// The phone's clock, for the core.
nonisolated final class SystemWalletClock: WalletClock, @unchecked Sendable {
    func nowUnixMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
