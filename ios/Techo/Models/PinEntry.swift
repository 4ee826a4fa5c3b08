import Foundation

/// The card PIN typed on the in-app keypad: digits in a byte array wiped after every use, never
/// printed. The binding takes a `String` for the one call in `use`; the core zeroizes its copy.
struct PinEntry: CustomStringConvertible {
    private var digits = [UInt8](repeating: 0, count: 4)
    private(set) var count = 0
    let length = 4

    var complete: Bool { count == length }
    var masked: String { String(repeating: "●", count: count) }
    var description: String { "PinEntry(\(masked))" }

    mutating func press(_ digit: Character) {
        guard let d = digit.asciiValue, (48...57).contains(d), count < length else { return }
        digits[count] = d
        count += 1
    }

    mutating func backspace() {
        guard count > 0 else { return }
        count -= 1
        digits[count] = 0
    }

    mutating func clear() {
        for i in digits.indices { digits[i] = 0 }
        count = 0
    }

    /// Hands the PIN to `body` once and wipes the entry whatever happens.
    mutating func use<T>(_ body: (String) async throws -> T) async rethrows -> T {
        let pin = String(decoding: digits[0..<count], as: UTF8.self)
        defer { clear() }
        return try await body(pin)
    }
}
