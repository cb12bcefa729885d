@testable import Catalog
import Testing

@Suite struct CtlTextTests {
    /// A help screen as ArgumentParser 1.8 writes it (unwrapped), with our texts in Chinese.
    static let help = """
        OVERVIEW: 派单给本网格的网格长或网格员。

        USAGE: gridwatchctl dispatch [--socket <socket>] [--json] <id> --to <to> [--note <note>]

        ARGUMENTS:
          <id>                    工单编号。

        OPTIONS:
          --limit <limit>         最多列出多少张（1 到 1000）。 (default: 50)
          --version               Show the version.
          -h, --help              Show help information.

        SUBCOMMANDS:
          health                  守护进程状态。

          See 'gridwatchctl help <subcommand>' for detailed help.
        """

    @Test func helpScreensReadInChinese() {
        let zh = CtlText.rewriteArgumentParser(Self.help, language: .zh)
        #expect(zh == """
            概述：派单给本网格的网格长或网格员。

            用法：gridwatchctl dispatch [--socket <socket>] [--json] <id> --to <to> [--note <note>]

            参数：
              <id>                    工单编号。

            选项：
              --limit <limit>         最多列出多少张（1 到 1000）。（默认：50）
              --version               显示版本号。
              -h, --help              显示帮助信息。

            子命令：
              health                  守护进程状态。

              各子命令的详细帮助：gridwatchctl help <子命令>
            """)
        #expect(CtlText.rewriteArgumentParser("USAGE: gridwatchctl tickets <options>", language: .zh) == "用法：gridwatchctl tickets <选项>")
    }

    @Test func englishAndUnknownTextsComeBackUnchanged() {
        #expect(CtlText.rewriteArgumentParser(Self.help, language: .en) == Self.help)
        // A version, a JSON dump of the help and a completion script are not help screens.
        for text in ["0.1.0", #"{"command": {"abstract": "Show help information."}}"#, "#!/bin/bash\n_gridwatchctl() {"] {
            #expect(CtlText.rewriteArgumentParser(text, language: .zh) == text)
        }
        // An error this table does not know keeps its English after the Chinese prefix.
        #expect(CtlText.rewriteArgumentParser("Error: Something new", language: .zh) == "错误：Something new")
    }

    @Test(arguments: [
        ("Missing expected argument '--to <to>'", "缺少参数 '--to <to>'"),
        ("Missing expected argument '<id>'", "缺少参数 '<id>'"),
        ("Missing one of: '--a', '--b'", "缺少以下参数之一：'--a', '--b'"),
        ("Missing value for '--limit <limit>'", "选项 '--limit <limit>' 缺少值"),
        ("Unknown option '--bogus'", "没有选项 '--bogus'"),
        ("Unknown option '--stat'. Did you mean '--state'?", "没有选项 '--stat'，是否要用 '--state'？"),
        ("Unexpected argument 'frobnicate'", "多余的参数 'frobnicate'"),
        ("2 unexpected arguments: 'a', 'b'", "多余的参数 2 个：'a', 'b'"),
        ("The value 'x' is invalid for '<id>'", "'<id>' 的值 'x' 无效"),
        ("The value 'x' is invalid for '--limit <limit>'", "'--limit <limit>' 的值 'x' 无效"),
        ("The option '--open' does not take any value, but '3' was specified.", "选项 '--open' 不带值，但给了 '3'"),
        ("Missing required subcommand.", "缺少子命令"),
    ])
    func usageErrorsReadInChinese(english: String, chinese: String) {
        let error = """
            Error: \(english)
            Help:  --to <to>  本网格网格长或网格员的编号。
            Usage: gridwatchctl dispatch [--socket <socket>] [--json] <id> --to <to> [--note <note>]
              See 'gridwatchctl dispatch --help' for more information.
            """
        #expect(CtlText.rewriteArgumentParser(error, language: .zh) == """
            错误：\(chinese)
            说明：--to <to>  本网格网格长或网格员的编号。
            用法：gridwatchctl dispatch [--socket <socket>] [--json] <id> --to <to> [--note <note>]
              详细说明：gridwatchctl dispatch --help
            """)
        #expect(CtlText.rewriteArgumentParser(error, language: .en) == error)
    }

    @Test func chineseHelpIsWrappedByTerminalCells() {
        let line = "  disable                 停用摄像头（管理员）：不再拉流、不再分析，不产生离线工单；重启后仍保持停用。"
        let wrapped = CtlText.wrapForTerminal(line, width: 80).split(separator: "\n").map(String.init)
        #expect(wrapped.count == 2)
        #expect(wrapped.allSatisfy { CtlText.cells($0) <= 80 })
        #expect(wrapped[0].hasPrefix("  disable                 停用"))
        // The continuation starts at the description column, not with punctuation.
        #expect(wrapped[1].prefix(26).allSatisfy { $0 == " " } && wrapped[1].dropFirst(26).first != " ")
        #expect(!"，。、；：）".contains(wrapped[1].dropFirst(26).first!))
        #expect(wrapped.joined().replacingOccurrences(of: " ", with: "") == line.replacingOccurrences(of: " ", with: ""))
    }

    @Test func shortRemarksUsageGroupsAndEnglishWordsStayWhole() {
        let option = "  --by <by>               分组方式：grid 网格、camera 摄像头、category 类别、rule 规则、hour 小时、day 日、week 周、month 月。（默认：category）"
        let lines = CtlText.wrapForTerminal(option, width: 80).split(separator: "\n")
        #expect(lines.allSatisfy { CtlText.cells($0) <= 80 })
        #expect(lines.contains { $0.contains("（默认：category）") })
        let usage = "用法：gridwatchctl stats [--socket <socket>] [--json] [--period <period>] [--by <by>] [--since <since>] [--until <until>] [--csv] [--output <output>]"
        let usageLines = CtlText.wrapForTerminal(usage, width: 80).split(separator: "\n").map(String.init)
        #expect(usageLines.count == 3 && usageLines.dropFirst().allSatisfy { $0.hasPrefix("      [") }, "\(usageLines)")
        for part in ["[--socket <socket>]", "[--period <period>]", "[--output <output>]"] {
            #expect(usageLines.contains { $0.contains(part) })
        }
        // Short lines and English are left alone.
        #expect(CtlText.wrapForTerminal("选项：\n  --json                  输出 JSON。", width: 80) == "选项：\n  --json                  输出 JSON。")
        let english = "  --by <by>               Group by grid, camera, category, rule, hour, day, week or month."
        #expect(CtlText.wrapForTerminal(english, width: 60).split(separator: "\n").allSatisfy { !$0.hasSuffix(" ") && CtlText.cells($0) <= 60 })
    }

    @Test func wordsFollowTheOfficeWording() {
        #expect(CtlText.ticketCount(total: 3, overdue: 0).zh == "3 张，超期 0 张")
        #expect(CtlText.ticketCount(total: 3, overdue: 0).en == "3, 0 overdue")
        #expect(CtlText.overdueColumn(overdue: ["acknowledge", "close"]).zh == "超期签收、超期办结")
        #expect(CtlText.deadlines(acknowledgeBy: "a", closeBy: "b", overdue: ["close"]).zh.hasSuffix("督办：超期办结"))
        #expect(CtlText.nextActions(actions: ["acknowledge", "false_alarm"], commands: ["ack", "false-alarm"]).zh == "签收 (ack)、误报 (false-alarm)")
        #expect(CtlText.nextActions(actions: ["acknowledge"], commands: ["ack"]).en == "ack")
        #expect(CtlText.eventKind(kind: "zone_enter", track: 7).zh == "进入区域（轨迹编号 7）")
        #expect(CtlText.eventKind(kind: "zone_enter", track: 7).en == "zone_enter (track 7)")
        #expect(CtlText.stateFilterHelp(states: ["new", "reopened"]).zh.contains("new 待签收、reopened 退回重办"))
        // No arrows in Chinese: a change reads 由…变为….
        let changes: [CtlText] = [
            .cameraChange(camera: "c", from: "streaming", to: "offline"), .cameraSwitched(id: "c", state: "disabled"),
            .ticketNow(id: 5, state: "reopened", assignee: nil, grid: "g"), .trajectory(points: 3, last: ["(0.10,0.20)", "(0.30,0.40)"]),
        ]
        for change in changes { #expect(!change.zh.contains("→"), "\(change.zh)") }
        #expect(CtlText.cameraChange(camera: "c", from: "streaming", to: "offline").zh == "摄像头 c：由在线变为离线")
    }

    /// The Chinese help has no English words but what is typed or named as it is: options,
    /// placeholders, codes, commands and technical names.
    @Test func chineseHelpHasNoEnglishProse() {
        let help: [CtlText] = [
            .rootAbstract, .healthAbstract, .camerasAbstract, .showCameraAbstract, .cameraSnapshotAbstract, .enableAbstract, .disableAbstract,
            .showConfigAbstract, .checkConfigAbstract, .reloadAbstract, .backupAbstract, .ticketsAbstract, .showTicketAbstract, .snapshotAbstract,
            .acknowledgeAbstract, .dispatchAbstract, .escalateAbstract, .startAbstract, .resolveAbstract, .verifyAbstract, .closeAbstract,
            .falseAlarmAbstract, .reopenAbstract, .noteAbstract, .supervisionAbstract, .statsAbstract, .exportAbstract, .peopleAbstract,
            .watchAbstract, .socketHelp, .jsonHelp, .stateFilterHelp(states: ["new", "in_progress"]), .openFilterHelp, .cameraFilterHelp,
            .zoneFilterHelp, .gridFilterHelp, .categoryFilterHelp(categories: ["camera_offline"]), .overdueFilterHelp, .repeatFilterHelp,
            .sinceFilterHelp, .untilFilterHelp, .textFilterHelp, .archivedFilterHelp, .limitHelp, .offsetHelp, .exportOutputHelp,
            .periodHelp(periods: ["day"]), .byHelp(groupings: ["grid"]), .statsSinceHelp, .statsUntilHelp, .csvHelp, .statsOutputHelp,
            .peopleGridHelp, .ticketIDHelp, .noteHelp, .dispatchToHelp, .escalateNoteHelp, .resolveNoteHelp, .falseAlarmNoteHelp,
            .reopenNoteHelp, .noteTextHelp, .occurrenceHelp, .jpegOutputHelp, .afterHelp, .eachRepeatHelp, .cameraIDHelp, .disableReasonHelp,
            .backupFileHelp, .apShowHelp, .apShowVersion, .apShowSubcommandHelp,
        ]
        let named = ["gridwatchd", "gridwatchctl", "people", "ticket", "JSON", "CSV", "JPEG", "UTF-8", "RFC", "SQLite", "partial",
                     "GRIDWATCH_SOCKET", "run", "gridwatch", "control", "sock", "new", "in_progress", "camera_offline", "day", "grid"]
        for m in help {
            let words = m.zh.split { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-")) }.map(String.init)
            let prose = words.filter { $0.contains { $0.isLetter } && !$0.hasPrefix("--") && !named.contains($0) }
            #expect(prose.isEmpty, "\(m): \(prose)")
            #expect(m.zh != m.en)
        }
    }
}
