import SwiftUI

/// Where this handbook is accepted and what it gets there: the operator directory kept offline,
/// updated when the screen opens (checked under the root key pinned at the first sync), filtered
/// by area, category and "only where this handbook is accepted". NOT COMPILED HERE.
struct PlacesView: View {
    @EnvironmentObject private var env: AppEnvironment
    @State private var rows: [PlaceRow] = []
    @State private var categories: [PlaceCategory] = []
    @State private var category: String?
    @State private var area = ""
    @State private var onlyMine = true
    @State private var note: String?

    var body: some View {
        List {
            if let note { Text(note).font(.footnote) }
            Section {
                TextField(env.pick("地域（例：東京都）", "Area (e.g. 東京都)"), text: $area)
                    .onSubmit(reload)
                Picker(env.pick("種類", "Category"), selection: $category) {
                    Text(env.pick("すべて", "all")).tag(String?.none)
                    ForEach(categories, id: \.id) { Text($0.label).tag(String?.some($0.id)) }
                }
                Toggle(env.pick("この手帳で使える所だけ", "Only where this handbook is accepted"), isOn: $onlyMine)
            }
            ForEach(rows, id: \.operator) { p in
                VStack(alignment: .leading, spacing: 4) {
                    Text(p.name).font(.headline)
                    Text("\(p.area) ・ \(p.categoryLabel)")
                    Text(p.discount)
                    if let headline = p.headline { Text("\(headline) \(p.grant ?? "")").bold() }
                }
            }
            Text(env.pick("（事業者の規定は例示です）", "(operator rules are illustrative)")).font(.footnote)
        }
        .navigationTitle(env.pick("使える場所", "Where to use it"))
        .onChange(of: category) { _, _ in reload() }
        .onChange(of: onlyMine) { _, _ in reload() }
        .task {
            if let service = env.service {
                do {
                    note = try await env.wallet.syncDirectory(service: service, lang: env.lang)
                } catch {
                    note = env.pick("オフライン：端末に保存した一覧を表示しています", "Offline: showing the list kept on this phone")
                }
            }
            categories = (try? env.wallet.placeCategories(lang: env.lang)) ?? []
            reload()
        }
    }

    private func reload() {
        let mine = onlyMine ? ((try? env.wallet.counterHandbookId()) ?? nil) : nil
        let filter = PlaceFilter(category: category, area: area.isEmpty ? nil : area, handbookId: mine)
        rows = (try? env.wallet.places(filter: filter, lang: env.lang)) ?? []
    }
}

/// Coupons this handbook can use today, each with its terms before use; "use at the counter"
/// opens the counter screen with the coupon in the code. NOT COMPILED HERE.
struct CouponsView: View {
    @EnvironmentObject private var env: AppEnvironment
    @State private var coupons: [CouponRow] = []
    @State private var chosen: CouponRow?

    var body: some View {
        List {
            if coupons.isEmpty {
                Text(env.pick("使えるクーポンはありません", "No coupons for this handbook"))
            }
            ForEach(coupons, id: \.id) { c in
                VStack(alignment: .leading, spacing: 4) {
                    Text(c.title).font(.headline)
                    Text(c.operatorName)
                    Text(c.terms).font(.callout)
                    Text("\(c.validFrom) – \(c.validUntil)").font(.footnote)
                    if c.used > 0 {
                        Text(env.pick("使用済み \(c.used) 回", "used \(c.used)") + (c.perHolder > 0 ? "/\(c.perHolder)" : "")).bold()
                    }
                    if !c.usedUp {
                        Button(env.pick("窓口で使う", "Use at the counter")) { chosen = c }
                    }
                }
            }
            if !coupons.isEmpty { Text(standardCouponTerms(lang: env.lang)).font(.footnote) }
        }
        .navigationTitle(env.pick("クーポン", "Coupons"))
        .onAppear { coupons = (try? env.wallet.coupons(handbookId: nil, lang: env.lang)) ?? [] }
        .task {
            // What counters redeemed for this holder; offline, what was known stays.
            if let service = env.service, (try? await env.wallet.syncCouponUses(service: service)) != nil {
                coupons = (try? env.wallet.coupons(handbookId: nil, lang: env.lang)) ?? []
            }
        }
        .fullScreenCover(item: $chosen) { c in
            CounterScreen(env: env, coupon: (c.operator, c.id))
        }
    }
}

extension CouponRow: Identifiable {}
