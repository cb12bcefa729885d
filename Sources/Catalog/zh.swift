#if canImport(Glibc)
import Glibc
#endif
// The Chinese catalogue: every message of Gridwatch in Simplified Chinese, worded as a town's
// office words it (待签收, 超期, 退回重办, 轨迹编号, 工单 3 张).

extension APIMessage {
    public var zh: String {
        switch self {
        case let .noSuchEndpoint(method, path): "没有这个接口：\(method) \(path)"
        case let .methodNotAllowed(method, path, allow): "\(path) 不支持 \(method) 请求，可用：\(allow)"
        case .malformedRequest: "请求格式错误"
        case .internalError: "内部错误，请查看守护进程日志"
        case let .diskFull(directory): "磁盘已满：数据目录\(directory.map { " \($0) " } ?? "")没有剩余空间，暂时无法写入，请清理磁盘"
        case .daemonStopping: "守护进程正在停止"
        case let .noSuchCamera(id, known): "没有摄像头 '\(id)'（现有：\(known.isEmpty ? "无" : known.joined(separator: "、"))）"
        case let .noSuchCameraAction(verb): "摄像头没有 '\(verb)' 操作（可用：enable 启用、disable 停用）"
        case let .badTicketID(text): "工单编号必须是不带符号的正整数（如 42），收到 '\(text)'"
        case let .badOccurrenceID(text): "告警记录编号必须是正整数，收到 '\(text)'"
        case let .badEventID(text): "Last-Event-ID 必须是整数，收到 '\(text)'"
        case let .unknownParameter(name, known):
            "未知参数 '\(name)'（\(known.isEmpty ? "此接口不带参数" : "可用：" + known.joined(separator: "、"))）"
        case let .badTime(parameter, text): "\(parameter) 的时间格式应为 2026-11-23 或 2026-11-23T08:00:00+08:00，收到 '\(text)'"
        case let .badFlag(parameter, text): "\(parameter) 只能是 true 或 false，收到 '\(text)'"
        case let .unknownState(text, known): "没有状态 '\(text)'（可用：\(known.map { "\(Term($0).zh) \($0)" }.joined(separator: "、"))）"
        case let .unknownCategory(text, known): "没有类别 '\(text)'（可用：\(known.map { "\(Term($0).zh) \($0)" }.joined(separator: "、"))）"
        case let .unknownGrouping(text, known): "不能按 '\(text)' 统计（可用：\(known.map { "\(Term($0).zh) \($0)" }.joined(separator: "、"))）"
        case let .unknownPeriod(text, known): "没有统计周期 '\(text)'（可用：\(known.map { "\(Term($0).zh) \($0)" }.joined(separator: "、"))）"
        case let .badFormat(text): "format 只能是 json 或 csv，收到 '\(text)'"
        case let .badLimit(text): "limit 应为 1 到 1000，收到 '\(text)'"
        case let .badOffset(text): "offset 应为 0 或正整数，收到 '\(text)'"
        case let .exportTooLarge(limit): "符合条件的工单超过 \(limit) 张，请用 since/until 缩小时间范围"
        case let .noSuchTicket(id): "没有工单 \(id)"
        case let .noSuchOccurrence(ticket, occurrence): "工单 \(ticket) 没有第 \(occurrence) 条告警记录"
        case let .evidencePurged(ticket): "工单 \(ticket) 的证据已按保存期限删除"
        case let .noSnapshot(ticket): "工单 \(ticket) 没有截图"
        case let .snapshotMissing(ticket): "工单 \(ticket) 的截图文件缺失"
        case let .occurrenceWithoutSnapshot(ticket, occurrence): "工单 \(ticket) 第 \(occurrence) 条告警未保留截图（再次告警只在有新情况时保留截图）"
        case let .occurrenceSnapshotMissing(ticket, occurrence): "工单 \(ticket) 第 \(occurrence) 条告警的截图文件缺失"
        case let .noClip(ticket): "工单 \(ticket) 没有录像（录像在告警后约十秒写完；摄像机刚连上或录像已关闭时没有）"
        case let .clipMissing(ticket): "工单 \(ticket) 的录像文件缺失"
        case let .occurrenceWithoutClip(ticket, occurrence): "工单 \(ticket) 第 \(occurrence) 条告警没有录像（每个工单最多保留若干段录像）"
        case let .rangeNotSatisfiable(range, size): "请求的字节范围 \(range) 超出文件大小（\(size) 字节）"
        case let .noteRequired(action): "\(action.map { Term($0).zh } ?? "备注")需要填写内容（note）"
        case .dispatchNeedsAssignee: "派单需要指定本网格的网格长或网格员（assignee）"
        case let .bodyTooLarge(kib): "请求内容过大（超过 \(kib) KiB）"
        case let .bodyNotObject(example): "请求内容应为 JSON 对象，如 \(example)"
        case let .unknownField(example, field): "请求内容中有未知字段 '\(field)'（格式如 \(example)）"
        case let .nullField(field): "\(field) 不能为 null（不填请省略）"
        case let .fieldsAreText(example, fields): "\(fields.joined(separator: "、")) 应为文字（格式如 \(example)）"
        case let .controlCharacter(field, scalar, offset, linesAllowed):
            "\(field) 第 \(offset) 个字符是控制字符（\(scalar)），\(linesAllowed ? "只允许换行和制表符" : "不允许换行、制表符等控制字符")"
        case let .notJSON(contentType): "请求内容必须是 JSON (application/json)，收到 '\(contentType)'"
        case let .notUTF8(charset): "请求内容必须是 UTF-8 编码的 JSON，收到字符集 '\(charset)'"
        case let .queryBadEscape(parameter, escape): "查询参数 '\(parameter)' 编码无效：'\(escape)' 不是 % 加两位十六进制数"
        case let .queryNotUTF8(parameter): "查询参数 '\(parameter)' 编码无效：解码后不是 UTF-8 文字"
        case let .queryControlCharacter(parameter, scalar): "查询参数 '\(parameter)' 含有控制字符（\(scalar)）"
        case .callerUnknown: "无法识别调用者"
        case let .noRole(actor): "\(actor) 没有访问权限：请管理员把您加入 daemon.roles 中配置的用户组"
        case let .notPermitted(actor, roles, method, path): "权限不足：\(actor)（\(roles.map { Term($0).zh }.joined(separator: "、"))）不能 \(method) \(path)"
        case let .mayNotActOnCategory(actor, category): "\(actor) 可以查看但无权处理“\(Term(category).zh)”类工单"
        case let .cameraDisabledNoPicture(camera): "摄像头 \(camera) 已停用，无当前画面"
        case let .cameraNotRunningNoPicture(camera): "摄像头 \(camera) 未运行，无当前画面"
        case let .cameraNotStreamingNoPicture(camera, state): "摄像头 \(camera) \(Term(state).zh)，无当前画面"
        case let .noFrameYet(camera): "摄像头 \(camera) 尚无画面，请稍后再试"
        case .backupFailed: "备份失败，请查看守护进程日志"
        case .backupVanished: "备份文件已不存在"
        case let .invalidTransition(action, state, allowed):
            "\(Term(state).zh)的工单不能\(Term(action).zh)（可执行：\(allowed.isEmpty ? "无" : allowed.map { Term($0).zh }.joined(separator: "、"))）"
        case let .reasonRequired(action): "\(Term(action).zh)需要填写原因（note）"
        case let .unknownAssignee(person, grid): "'\(person)' 不是网格 \(grid) 的网格长或网格员"
        case let .noHigherLevel(grid): "网格 \(grid) 没有上级网格"
        case .emptyNote: "备注不能为空"
        case let .noSuchDestination(id, known): "没有通知目标 '\(id)'（现有：\(known.isEmpty ? "无，请在配置的 notify: 中添加" : known.joined(separator: "、"))）"
        case let .noDeadLetter(destination, event): "通知目标 \(destination) 没有编号为 \(event) 的死信"
        case .backupIsPostgres: "工单存储在 PostgreSQL 上：请用 pg_dump 备份（管理员手册第 15 节）"
        case let .evidenceOnNode(ticket, node): "工单 \(ticket) 的截图或视频保存在节点 \(node) 上，请在该节点的控制台或套接字上查看"
        case .notClustered: "本守护进程使用自己的存储（SQLite），没有其他节点；多节点需配置 store: {postgres: …}"
        case let .nodeStillAlive(id, seconds): "节点 '\(id)' 在 \(seconds) 秒前仍有心跳：只能移除已停止运行的节点（请先让它移交摄像头，再停止它）"
        case let .noSuchNode(id, known): "没有节点 '\(id)'（现有：\(known.isEmpty ? "无" : known.joined(separator: "、"))）"
        case let .clusterUnavailable(detail): "共享数据库暂不可用，无法查询节点和租约：\(detail)"
        case let .callbackNotVerified(why, detail):
            switch why {
            case "missing_header": "回调缺少请求头 \(detail)（需按 Standard Webhooks 签名）"
            case "bad_timestamp": "回调的 webhook-timestamp 不是 Unix 秒数"
            case "outside_tolerance": "回调时间戳与本机时间相差 \(detail) 秒，超过允许的 300 秒（请检查双方时钟，或这是重放的旧消息）"
            default: "回调签名不正确（请检查双方配置的密钥是否一致）"
            }
        case let .callbackReplayed(messageID): "回调 \(messageID) 已经收到并处理过，不再重复处理"
        case .loginRequired: "请先登录控制台（会话不存在或已过期）"
        case .csrfRefused: "请求缺少有效的防伪令牌（CSRF，表单字段 csrf 或请求头 X-CSRF-Token），请刷新页面后重试"
        case let .consoleUserExists(name): "控制台用户 '\(name)' 已存在"
        case let .noSuchConsoleUser(name): "没有控制台用户 '\(name)'"
        case let .badConsoleUserName(name): "用户名 '\(name)' 无效：只能使用英文字母、数字、汉字和 . _ - @，最多 64 个字符"
        case let .passwordTooShort(minimum): "密码至少需要 \(minimum) 个字符"
        case let .unknownRole(text, known): "没有角色 '\(text)'（可用：\(known.map { "\(Term($0).zh) \($0)" }.joined(separator: "、"))）"
        case let .unknownLanguage(text): "language 只能是 zh 或 en，收到 '\(text)'"
        case .adminNotLimitedToGrids: "管理员管理整个守护进程（备份、配置、账户），不能限定网格；限定网格请用 viewer、operator 或 corrections 角色"
        case let .unknownGrid(id, known): "没有网格 '\(id)'（现有：\(known.joined(separator: "、"))）"
        case let .geometryInvalid(detail): "区域和警戒线有误：\(detail)"
        case let .unknownCallbackType(text, known): "不认识的回调类型 '\(text)'（可用：\(known.joined(separator: "、"))）"
        case let .callbackBodyInvalid(example): "回调内容应为 JSON，例如 \(example)"
        }
    }
}

extension TicketText.Way {
    var zh: String {
        switch self {
        case .leftToRight: "由左向右"
        case .rightToLeft: "由右向左"
        case .topToBottom: "由上向下"
        case .bottomToTop: "由下向上"
        }
    }
}

extension TicketText {
    public var zh: String {
        switch self {
        case let .cameraOffline(camera): "摄像头离线：\(camera)"
        case let .cameraAuthFailed(camera): "摄像头认证失败：\(camera)"
        case let .zoneEntry(zone, camera): "区域闯入：\(zone) @ \(camera)"
        case let .zoneExit(zone, camera): "离开区域：\(zone) @ \(camera)"
        case let .crossing(line, way, camera): "越线\(way.map { "（\($0.zh)）" } ?? "")：\(line) @ \(camera)"
        case let .loitering(zone, seconds, camera): "徘徊 \(seconds) 秒：\(zone) @ \(camera)"
        case let .crowding(zone, count, camera): "人员聚集（\(count) 人）：\(zone) @ \(camera)"
        case let .tamper(reason, camera):
            switch reason {
            case "covered": "摄像头被遮挡：\(camera)"
            case "defocused": "摄像头画面模糊：\(camera)"
            case "moved": "摄像头被转动移位：\(camera)"
            case "frozen": "摄像头画面冻结：\(camera)"
            default: "摄像头画面异常：\(camera)"
            }
        case let .fireSmoke(kind, zone, camera):
            "\(kind == "fire" ? "发现火情" : "发现烟雾")：\(zone.map { "\($0) @ " } ?? "")\(camera)"
        case .tamperCleared: "画面已恢复正常"
        case let .plain(text): text
        case let .repeatOf(ticket): "工单 \(ticket) 处理后同一问题再次出现：重复工单"
        case let .streamFault(fault): fault.zh
        case let .offlineAgain(since, fault): "自 \(since) 起再次离线\(fault.map { "（\($0.zh)）" } ?? "")"
        case let .recovered(seconds): "离线 \(seconds) 秒后恢复"
        case .evidenceExpired: "证据超过保存期限，已删除"
        case .evidenceOverBudget: "超出存储预算，证据已删除"
        case let .clipKept(seconds, end):
            switch end {
            case "gap": "已保存 \(seconds) 秒录像（摄像机断线，录像在断点处结束）"
            case "stopped": "已保存 \(seconds) 秒录像（服务停止，录像提前结束）"
            case "capped": "已保存 \(seconds) 秒录像（已达最长时长）"
            default: "已保存 \(seconds) 秒录像"
            }
        case .archived: "已归档"
        case let .dispatchedToPlatform(platform, caseNumber): "已由平台 \(platform) 受理派遣\(caseNumber.isEmpty ? "" : "，案件号 \(caseNumber)")"
        case let .dispatchedTo(name, id): "派给 \(name)（\(id)）"
        case let .escalatedTo(fromGrid, toGrid, toName): "由网格 \(fromGrid) 上报至 \(toName)（\(toGrid)）"
        case let .repeatProblem(reopens, days): "\(days) 天内退回重办 \(reopens) 次：重复问题"
        case let .overdue(acknowledge, close, from, to):
            ([acknowledge ? "超期未签收" : nil, close ? "超期未办结" : nil].compactMap { $0 }.joined(separator: "、"))
                + "，督办：级别由\(Term(from).zh)升为\(Term(to).zh)"
        }
    }
}

extension StreamText {
    public var zh: String {
        switch self {
        case .refused: "连接被拒绝：摄像头或其 RTSP 服务未开启"
        case .reset: "连接被摄像头断开"
        case .unreachable: "网络不通：找不到摄像头"
        case .timedOut: "连接超时：摄像头无应答"
        case .stalled: "画面中断：长时间没有收到新画面"
        case .ended: "视频流已结束"
        case .authFailed: "认证失败：用户名或密码错误"
        case .notFound: "摄像头上没有这个视频流地址"
        case .forbidden: "摄像头拒绝访问"
        case .badData: "收到的数据无法解析"
        case .noSuchFile: "视频文件不存在"
        case .unusable: "视频流无法使用（没有可解码的视频）"
        case let .other(code, _): "拉流出错（FFmpeg 错误码 \(code)）"
        }
    }
}

extension LogText {
    public var zh: String {
        switch self {
        case let .dataDirInUse(pid, directory): "另一个 gridwatchd（PID \(pid.map(String.init) ?? "未知")）正在使用数据目录 \(directory)，请先停止它"
        case .spoolUnavailable: "告警暂存文件不可用：存储无法写入的告警只保存在内存中"
        case .spoolFound: "发现上次未写入的告警"
        case .spoolKept: "停止时未写入的工单已存入暂存文件，下次启动时写入"
        case let .spoolLost(count): "停止时有 \(count) 条告警未能保存，已丢失"
        case .spoolReplayed: "暂存告警已写入"
        case .storeRecovered: "工单写入已恢复"
        case .storeFailing: "工单写入失败，告警暂存并重试"
        case .storeStillFailing: "工单仍无法写入"
        case .noStampFont: "缺少中文字体，截图不带摄像头名称和时间：请安装 fonts-wqy-microhei"
        }
    }
}

extension NotifyText {
    public var zh: String {
        switch self {
        case let .heading(type, ticket): "【\(Self.zhHeading(type))】工单 #\(ticket)"
        case let .camera(name): "摄像头：\(name)"
        case let .grid(name): "网格：\(name)"
        case let .occurredAt(time): "发生时间：\(time)"
        case let .severity(level): "紧急程度：\(Term(level).zh)"
        case let .state(state): "状态：\(Term(state).zh)"
        case let .acknowledgeBy(time): "签收时限：\(time)"
        case let .deadline(time): "处置时限：\(time)"
        case let .assignee(name, phone): "派单给：\(name)\(phone.map { "（\($0)）" } ?? "")"
        case let .actor(who): "操作人：\(who)"
        case let .note(text): "备注：\(text)"
        case let .caseNumber(platform, number): "平台案件号：\(number)（\(platform)）"
        case let .howToAct(ticket, state):
            switch state {
            case "new", "reopened": "请尽快签收：gridwatchctl ack \(ticket)"
            case "acknowledged", "dispatched": "请前往现场处置，完成后：gridwatchctl resolve \(ticket) --note 处置情况"
            case "in_progress": "处置完成后：gridwatchctl resolve \(ticket) --note 处置情况"
            case "resolved": "请核查处置结果：gridwatchctl verify \(ticket)"
            case "verified": "核查通过，可结案：gridwatchctl close \(ticket)"
            default: "详情：gridwatchctl ticket \(ticket)"
            }
        case let .platformHandles(platform, ticket): "已由平台 \(platform) 受理，办结后平台回告；详情：gridwatchctl ticket \(ticket)"
        }
    }

    static func zhHeading(_ type: String) -> String {
        switch type {
            case "ticket.created": "新工单"
            case "ticket.occurred": "再次告警"
            case "ticket.acknowledged": "工单已签收"
            case "ticket.dispatched": "工单已派单"
            case "ticket.escalated": "工单已上报上级"
            case "ticket.started": "工单开始处置"
            case "ticket.resolved": "工单已处置"
            case "ticket.verified": "工单已核查"
            case "ticket.closed": "工单已结案"
            case "ticket.false_alarm": "工单判定为误报"
            case "ticket.reopened": "工单退回重办"
            case "ticket.overdue": "工单超期督办"
            case "ticket.note": "工单新备注"
            default: "工单更新"
            }
    }
}

extension Term {
    public var zh: String { Term.chinese[code] ?? code }

    static let chinese = [
        // Camera states
        "connecting": "连接中", "streaming": "在线", "stalled": "卡顿", "backoff": "等待重连", "offline": "离线", "auth_failed": "认证失败",
        "stopped": "已停止", "disabled": "已停用", "enabled": "已启用", "elsewhere": "由其他节点分析",
        // Ticket states
        "new": "待签收", "acknowledged": "已签收", "dispatched": "已派单", "in_progress": "处置中", "resolved": "已处置", "verified": "已核查",
        "closed": "已结案", "false_alarm": "误报", "reopened": "退回重办",
        // Severities and categories
        "low": "低", "medium": "中", "high": "高", "critical": "紧急",
        "intrusion": "闯入", "corrections": "社区矫正", "hazard": "隐患", "camera_offline": "摄像头离线", "camera_tamper": "摄像头异常", "fire_smoke": "烟火",
        // Actions, history events and live changes
        "created": "上报", "occurrence": "再次告警", "acknowledge": "签收", "dispatch": "派单", "escalate": "上报上级", "start": "开始处置",
        "resolve": "处置完成", "verify": "核查", "close": "结案", "reopen": "退回重办", "note": "备注", "escalation": "超期督办",
        "offline_again": "再次离线", "recovered": "已恢复", "evidence_purged": "证据已删除", "repeat_problem": "重复问题", "archived": "已归档", "clip": "录像",
        "updated": "已更新",
        // Ticket kinds (rule events)
        "zone_enter": "进入区域", "zone_exit": "离开区域", "loiter": "徘徊", "crowd": "人员聚集", "crossing": "越线",
        "covered": "遮挡", "defocused": "模糊", "moved": "移位", "frozen": "画面冻结", "night": "夜间（红外）",
        "fire": "火情", "smoke": "烟雾",
        "tamper_covered": "遮挡", "tamper_defocused": "模糊", "tamper_moved": "移位", "tamper_frozen": "画面冻结", "cleared": "已恢复正常",
        // Statistics groupings and periods
        "grid": "网格", "camera": "摄像头", "category": "类别", "rule": "规则", "hour": "小时", "day": "日", "week": "周", "month": "月", "year": "年",
        // Roles
        "admin": "管理员", "operator": "值班员", "viewer": "查看员", "leader": "网格长", "worker": "网格员",
    ]
}

// MARK: - gridwatchctl

extension CtlText {
    public var zh: String {
        switch self {
        // Commands
        case .rootAbstract: "通过控制套接字操作 gridwatchd（网格视频巡查）。"
        case .healthAbstract: "守护进程状态。"
        case .camerasAbstract: "摄像头及其状态。"
        case .showCameraAbstract: "查看一个摄像头及其状态。"
        case .cameraSnapshotAbstract: "保存摄像头当前画面（JPEG，隐私遮挡区域为黑色）。"
        case .enableAbstract: "启用摄像头（管理员）。"
        case .disableAbstract: "停用摄像头（管理员）：不再拉流、不再分析，不产生离线工单；重启后仍保持停用。"
        case .showConfigAbstract: "当前运行的配置：文件、加载时间、加载者（管理员）。"
        case .checkConfigAbstract: "检查守护进程的配置文件，说明重新加载会改变什么（管理员）。"
        case .reloadAbstract: "重新加载配置文件（管理员）；有误则不加载。"
        case .backupAbstract: "在运行中备份工单库（SQLite 在线备份，管理员）到文件。快照图片是普通文件，另行复制。"
        case .ticketsAbstract: "列出工单（最新的在前）。"
        case .showTicketAbstract: "查看工单及其处理记录。"
        case .snapshotAbstract: "保存工单快照（JPEG）。"
        case .clipAbstract: "保存工单录像（MP4，告警前后各若干秒）。"
        case .notifyAbstract: "通知：各推送目标（平台、企业微信/钉钉群、脚本）的队列与死信。"
        case .notifyListAbstract: "列出各推送目标的待发数量、最近成功、最近错误与死信。"
        case .notifyRetryAbstract: "把死信重新放回队列（不给编号则全部重发）。"
        case .nodesAbstract: "共享同一 PostgreSQL 存储的节点：心跳、所持摄像头、CPU。"
        case .nodeAbstract: "管理节点：drain 把它的摄像头平稳移交给其他节点，undrain 让它重新接收摄像头，forget 移除已停止运行的节点。"
        case .nodeDrainAbstract: "把节点的摄像头逐个移交给其他节点（每个平衡周期一个），之后不再给它分配。"
        case .nodeUndrainAbstract: "让节点重新接收摄像头。"
        case .nodeForgetAbstract: "从列表中移除已停止运行的节点（如已退役的设备），释放它仍占有的租约。"
        case let .nodeForgotten(node, leases): "节点 \(node) 已从列表中移除，释放了它仍占有的 \(leases) 个租约"
        case .nodeIDHelp: "节点编号（daemon.node_id）"
        case let .nodeDone(node, draining): draining ? "节点 \(node) 正在移交摄像头" : "节点 \(node) 重新接收摄像头"
        case .columnHeartbeat: "心跳(秒前)"
        case .columnLive: "在线"
        case .columnDraining: "移交中"
        case .columnCameras: "摄像头"
        case .columnCPU: "CPU(核)"
        case .columnNode: "节点"
        case .notifyDropAbstract: "放弃死信（不给编号则全部放弃）。"
        case .notifyEnableAbstract: "重新启用被接收方以 410 停用的推送目标。"
        case .consoleUserAbstract: "网页控制台的用户：添加、列出、停用、改密码（管理员）。"
        case .consoleUserListAbstract: "列出控制台用户及其角色、网格和最近登录时间。"
        case .consoleUserAddAbstract: "添加控制台用户；密码从标准输入读取（终端上提示输入两次）。"
        case .consoleUserPasswdAbstract: "为控制台用户设置新密码（从标准输入读取）；该用户已登录的会话全部失效。"
        case .consoleUserDisableAbstract: "停用控制台用户；其会话立即失效。"
        case .consoleUserEnableAbstract: "重新启用控制台用户。"
        case .consoleUserNameHelp: "用户名（英文字母、数字、汉字和 . _ - @）"
        case let .consoleRoleHelp(roles): "角色：\(roles.map { "\($0) \(Term($0).zh)" }.joined(separator: "、"))"
        case .consoleGridHelp: "只能看到这个网格及其下级网格（可重复；不给则全部可见）"
        case .consoleLanguageHelp: "界面语言：zh 中文（默认）或 en 英文"
        case .consoleUserHeader: "用户名\t角色\t网格\t语言\t状态\t最近登录"
        case let .consoleUserDone(verb, name): "控制台用户 \(name)：\(["add": "已添加", "passwd": "密码已更改，原有会话已失效", "disable": "已停用", "enable": "已启用"][verb] ?? verb)"
        case .noConsoleUsers: "还没有控制台用户（gridwatchctl console-user add 名称 --role operator）"
        case .passwordPrompt: "密码："
        case .passwordAgainPrompt: "再输入一次："
        case .passwordsDiffer: "两次输入的密码不一致"
        case .passwordNeeded: "标准输入中没有密码"
        case .destinationIDHelp: "推送目标编号（配置中 notify: 的 id）"
        case .deadLetterIDHelp: "死信编号（event_id，见 gridwatchctl notify 列表）"
        case .notifyHeader: "目标\t类型\t地址\t待发\t到期\t已送达\t死信\t最近成功\t最早待发"
        case let .notifyDisabledLine(destination, reason): "\(destination)：已停用（\(reason)），修复后执行 gridwatchctl notify enable \(destination)"
        case let .notifyPausedLine(destination, until): "\(destination)：接收方要求暂停发送，直到 \(until)"
        case let .notifyErrorLine(destination, at, error): "\(destination)：最近错误（\(at)）：\(error)"
        case let .deadLetterLine(destination, event, ticket, sequence, type, attempts, error):
            "\(destination) 死信 \(event)：工单 #\(ticket) 第 \(sequence) 条 \(type)，已尝试 \(attempts) 次，\(error)"
        case let .notifyDone(verb, destination, count):
            "\(destination)：\(verb == "retry" ? "重新排队 \(count) 条死信" : verb == "drop" ? "放弃 \(count) 条死信" : (count > 0 ? "已重新启用" : "本来就在启用中"))"
        case .noDestinations: "没有配置推送目标（配置文件的 notify:）"
        case .mp4OutputHelp: "MP4 录像保存到的文件。"
        case .fieldClip: "录像"
        case .fieldCase: "平台案件号"
        case let .clipAvailable(ticket, seconds, end):
            "\(seconds) 秒" + (end == "gap" ? "（摄像机断线，录像在断点处结束）" : end == "stopped" ? "（服务停止，提前结束）" : "")
                + "（gridwatchctl clip \(ticket) -o 文件）"
        case .acknowledgeAbstract: "签收新工单。"
        case .dispatchAbstract: "派单给本网格的网格长或网格员。"
        case .escalateAbstract: "上报上级网格。"
        case .startAbstract: "开始处置。"
        case .resolveAbstract: "处置完成（需填写处理情况）。"
        case .verifyAbstract: "核查处置结果。"
        case .closeAbstract: "结案（已核查的工单）。"
        case .falseAlarmAbstract: "标记误报（需填写原因）。"
        case .reopenAbstract: "退回重办：重新打开已处置、已核查或已结案的工单（需填写原因）。"
        case .noteAbstract: "在工单记录中添加备注。"
        case .supervisionAbstract: "超期督办清单：超过时限的未结工单。"
        case .statsAbstract: "工单统计（乡镇上报口径）。"
        case .exportAbstract: "导出工单为 CSV（UTF-8），用于报表；加 --json 导出为 JSON。"
        case .peopleAbstract: "网格长与网格员（派单对象）。"
        case .watchAbstract: "实时查看工单和摄像头的变化，每条一行。"

        // Options, flags and arguments
        case .socketHelp: "gridwatchd 的控制套接字（默认：$GRIDWATCH_SOCKET 或 /run/gridwatch/control.sock）。"
        case .jsonHelp: "输出守护进程的 JSON 应答，而不是表格。"
        case let .stateFilterHelp(states): "只列出此状态的工单（\(Self.codesWithWords(states))）。"
        case .openFilterHelp: "只列出未结的工单（未结案、不是误报）。"
        case .cameraFilterHelp: "只列出此摄像头的工单。"
        case .zoneFilterHelp: "只列出此区域的工单。"
        case .gridFilterHelp: "只列出此网格的工单。"
        case let .categoryFilterHelp(categories): "只列出此类别的工单（\(Self.codesWithWords(categories))）。"
        case .overdueFilterHelp: "只列出超期的工单。"
        case .repeatFilterHelp: "只列出标记为重复问题的工单。"
        case .sinceFilterHelp: "发生时间不早于：日期或表格中显示的时间（2026-11-24、2026-11-24 08:30），按守护进程所在时区；也可用 RFC 3339 格式。"
        case .untilFilterHelp: "发生时间早于：格式同 --since。"
        case .textFilterHelp: "标题中包含的文字。"
        case .archivedFilterHelp: "包括已归档的工单。"
        case .limitHelp: "最多列出多少张（1 到 1000）。"
        case .offsetHelp: "跳过多少张（用于翻页）。"
        case .exportOutputHelp: "写入此文件，而不是标准输出。"
        case let .periodHelp(periods): "统计截至现在的一段时间：\(Self.codesWithWords(periods))。"
        case let .byHelp(groupings): "分组方式：\(Self.codesWithWords(groupings))。"
        case .statsSinceHelp: "起始时间（日期或表格中显示的时间，按守护进程所在时区；也可用 RFC 3339 格式），代替统计周期。"
        case .statsUntilHelp: "截止时间（格式同 --since）；统计周期到此为止。"
        case .csvHelp: "输出 CSV，而不是表格。"
        case .statsOutputHelp: "与 --csv 一起使用：写入此文件。"
        case .peopleGridHelp: "只列出此网格的人员。"
        case .ticketIDHelp: "工单编号。"
        case .noteHelp: "写入处理记录的备注。"
        case .dispatchToHelp: "本网格网格长或网格员的编号（查看：gridwatchctl people）。"
        case .escalateNoteHelp: "上报原因。"
        case .resolveNoteHelp: "处理情况（必填）。"
        case .falseAlarmNoteHelp: "误报的原因（必填）。"
        case .reopenNoteHelp: "退回重办的原因（必填）。"
        case .noteTextHelp: "备注内容。"
        case .occurrenceHelp: "保存这条再次告警记录的截图，而不是工单本身的截图；编号见 gridwatchctl ticket 的输出。"
        case .jpegOutputHelp: "JPEG 图片保存到的文件。"
        case .afterHelp: "从这个事件编号之后继续（编号见 --json 的输出）。"
        case .eachRepeatHelp: "每次再次告警都输出一行（默认：只输出第一次，之后每张工单每分钟最多汇总一次次数）。"
        case .cameraIDHelp: "摄像头编号。"
        case .disableReasonHelp: "停用原因（与摄像头状态一起显示）。"
        case .backupFileHelp: "备份保存到的文件（先写入“文件名.partial”，完成后再改名）。"

        // Failures
        case let .unreachable(path, reason): "无法连接 gridwatchd（\(path)）：\(reason)。守护进程是否在运行？"
        case let .socketError(code, _):
            switch code {
            case ENOENT: "套接字文件不存在"
            case ECONNREFUSED: "没有进程在此套接字上监听"
            case ENOTSOCK: "这不是一个套接字"
            case ENAMETOOLONG: "套接字路径太长"
            case ETIMEDOUT, EAGAIN: "连接超时"
            case ENOTDIR: "路径中有一段不是目录"
            default: "系统错误码 \(code)"
            }
        case let .refused(status, reason): "请求被拒绝（\(status)）：\(reason)"
        case let .unreadableAnswer(detail): "应答无法读取：\(detail)"
        case let .permissionDenied(path): "没有权限打开控制套接字 \(path)：请管理员把当前用户加入套接字所属的组（daemon.socket_group），或用 sudo 运行"
        case let .cannotWriteLocal(path, reason): "无法写入本机文件 \(path)：\(reason)"
        case let .cannotWrite(path, reason): "无法写入 \(path)：\(reason)"
        case let .noFolder(file, folder): "无法写入 \(file)：目录 \(folder) 不存在"
        case let .noWritePermission(file, folder): "无法写入 \(file)：没有目录 \(folder) 的写权限"
        case let .streamUnreachable(path, reason): "无法连接 gridwatchd（\(path)）：\(reason)；每 2 秒重试"
        case let .streamUnreadable(detail): "gridwatchd 的应答无法读取：\(detail)；每 2 秒重试"
        case .streamEnded: "事件流已结束，重新连接"

        // Field lists
        case let .fieldLabel(label): "\(label)："
        case .fieldStatus: "状态"
        case .fieldVersion: "版本"
        case .fieldStarted: "启动"
        case .fieldCameras: "摄像头"
        case .fieldTickets: "工单"
        case .fieldStore: "存储"
        case .fieldName: "名称"
        case .fieldGrid: "网格"
        case .fieldState: "状态"
        case .fieldSource: "来源"
        case .fieldDisabled: "停用"
        case .fieldSize: "分辨率"
        case .fieldCodec: "编码"
        case .fieldFPS: "帧率"
        case .fieldFrames: "帧数"
        case .fieldErrors: "错误"
        case .fieldLastFrame: "最近一帧"
        case .fieldOffline: "离线"
        case .fieldLastError: "最近错误"
        case .fieldZones: "区域"
        case .fieldTripwires: "警戒线"
        case .fieldSceneMode: "昼夜模式"
        case .fieldPicture: "画面"
        case .pictureSound: "正常"
        case .sceneDay: "白天（彩色）"
        case .fieldSeverity: "级别"
        case .fieldCategory: "类别"
        case .fieldCamera: "摄像头"
        case .fieldZone: "区域"
        case .fieldTripwire: "警戒线"
        case .fieldEvent: "事件"
        case .fieldTrajectory: "轨迹"
        case .fieldOccurred: "发生"
        case .fieldDeadlines: "时限"
        case .fieldRepeatProblem: "重复问题"
        case .fieldEvidence: "证据"
        case .fieldNext: "可执行"
        case .fieldSnapshot: "快照"
        case .fieldRepeatSnapshots: "再次告警截图"
        case .fieldFile: "配置文件"
        case .fieldRunning: "当前配置"
        case let .fieldAdded(applied): applied ? "已新增" : "将新增"
        case let .fieldRemoved(applied): applied ? "已移除" : "将移除"
        case let .fieldReconnected(applied): applied ? "已重连" : "将重连"
        case let .fieldRulesUpdated(applied): applied ? "规则已更新" : "规则将更新"
        case .fieldUnchanged: "不变"
        case .fieldSections: "其他部分"
        case .fieldNeedRestart: "需重启生效"

        // Table headers
        case .columnName: "名称"
        case .columnGrid: "网格"
        case .columnState: "状态"
        case .columnSize: "分辨率"
        case .columnCodec: "编码"
        case .columnInputFPS: "输入帧率"
        case .columnAnalysedFPS: "分析帧率"
        case .columnDecoded: "已解码"
        case .columnAnalysed: "已分析"
        case .columnDropped: "丢帧"
        case .columnErrors: "错误"
        case .columnReconnects: "重连"
        case .columnLastFrame: "最近一帧"
        case .columnSource: "来源"
        case .columnTime: "时间"
        case .columnSeverity: "级别"
        case .columnCategory: "类别"
        case .columnCamera: "摄像头"
        case .columnZoneOrLine: "区域/线"
        case .columnCount: "次数"
        case .columnDue: "督办"
        case .columnAssignee: "处理人"
        case .columnTitle: "标题"
        case .columnActor: "操作人"
        case .columnEvent: "事件"
        case .columnFrom: "从"
        case .columnTo: "到"
        case .columnNote: "备注"
        case .columnPersonName: "姓名"
        case .columnRole: "角色"
        case .columnPhone: "电话"
        case let .columnGroup(by): Term(by).zh
        case .columnRaised: "上报"
        case .columnAcknowledgedOnTime: "按时签收"
        case .columnClosedOnTime: "按时办结"
        case .columnDone: "办结率"
        case .columnFalseAlarms: "误报率"
        case .columnRepeat: "重复"
        case .columnOverdue: "超期"
        case .columnAcknowledgeTimes: "签收 均值/p90"
        case .columnCloseTimes: "办结 均值/p90"
        case .columnCooldown: "冷却"

        // Values
        case .healthOK: "正常"
        case .healthDegraded: "降级"
        case let .camerasStreaming(streaming, total, disabled): "\(streaming)/\(total) 在线" + (disabled > 0 ? "，\(disabled) 已停用" : "")
        case let .ticketCount(total, overdue): "\(total) 张" + (overdue.map { "，超期 \($0) 张" } ?? "")
        case let .storeState(state, error, pending): (state == "ok" ? "正常" : "写入失败") + (error.map { "（\($0)；\(pending) 条待写入）" } ?? "")
        case let .recordStream(camera, state, codec, size, seconds, kib, source, lastError):
            "\(camera) 录像流：\(Term(state).zh) \(codec) \(size)，已缓存 \(seconds) 秒（\(kib) KiB），\(source)" + (lastError.map { "，最近错误：\($0)" } ?? "")
        case let .cameraOfflineSince(camera, since): "\(camera) 自 \(since) 起离线"
        case let .cameraDisabledBy(camera, by, at, reason): "\(camera) 已停用：\(by)，\(at)\(reason.map { "，原因：\($0)" } ?? "")"
        case let .cameraLastError(camera, error): "\(camera) 最近错误：\(error)"
        case let .disabledDetail(by, at, reason): "\(by)，\(at)\(reason.map { "，原因：\($0)" } ?? "")"
        case let .framesPerSecond(input, analysed): "输入 \(input)，分析 \(analysed)"
        case let .frameCounts(decoded, analysed, dropped): "已解码 \(decoded)，已分析 \(analysed)，丢弃 \(dropped)"
        case let .errorCounts(decodeErrors, reconnects): "解码错误 \(decodeErrors)，重连 \(reconnects) 次"
        case let .since(time): "自 \(time) 起"
        case let .cameraHeading(id): "摄像头 \(id)"
        case let .cameraSwitched(id, state): "摄像头 \(id) 现为\(Term(state).zh)"
        case let .cameraUnchanged(id, state, _): "摄像头 \(id) 本来就是\(Term(state).zh)，未改变"
        case let .overdueColumn(overdue): overdue.map(Self.overdueWord).joined(separator: "、")
        case let .ticketsShown(shown, total): "\(shown) / \(total) 张工单"
        case let .ticketNow(id, state, assignee, grid): "工单 #\(id) 现为\(Term(state).zh)\(assignee.map { "，处理人 \($0)" } ?? "")（网格 \(grid)）"
        case let .noteAdded(id): "工单 #\(id)：已添加备注"
        case let .ticketHeading(id, title): "工单 #\(id)  \(title)"
        case let .eventKind(kind, track): Term(kind).zh + (track.map { "（轨迹编号 \($0)）" } ?? "")
        case let .trajectory(points, last): "\(points) 个点，最后依次经过 \(last.joined(separator: "、"))"
        case let .gridAndAssignee(grid, assignee): grid + (assignee.map { "，处理人 \($0)" } ?? "")
        case let .occurred(at, occurrences, last): at + (occurrences > 1 ? "，共 \(occurrences) 次，最近 \(last)" : "")
        case let .deadlines(acknowledgeBy, closeBy, overdue):
            "签收 \(acknowledgeBy) 前，办结 \(closeBy) 前" + (overdue.isEmpty ? "" : "  督办：" + overdue.map(Self.overdueWord).joined(separator: "、"))
        case let .reopenedTimes(count): "已退回重办 \(count) 次"
        case .evidencePurged: "已按保存期限删除"
        case let .nextActions(actions, commands):
            actions.isEmpty ? "-" : zip(actions, commands).map { "\(Term($0).zh) (\($1))" }.joined(separator: "、")
        case let .snapshotAvailable(ticket): "有（gridwatchctl snapshot \(ticket) -o 文件）"
        case .noSnapshot: "无"
        case let .repeatSnapshots(count, list, ticket):
            "\(count) 张：\(list.joined(separator: ", "))（gridwatchctl snapshot \(ticket) --occurrence 编号 -o 文件）"
        case .historyHeading: "处理记录："
        case let .loaded(at, by, cameras, grids): "\(at) 由 \(by) 加载，\(cameras) 个摄像头，\(grids) 个网格"
        case .configReloaded: "配置已重新加载。"
        case .configValid: "配置文件有效。"
        case .configHasErrors: "配置文件有误："
        case .configNotLoaded: "配置文件有误，未加载，仍使用当前配置："
        case let .backedUp(file, kib): "已备份到 \(file)（\(kib) KiB）"
        case let .statsHeading(since, until, by): "统计 \(since) — \(until)，按\(Term(by).zh)"
        case .totalRow: "合计"
        case let .durationSeconds(n): "\(n)秒"
        case let .durationMinutes(n): "\(n)分钟"
        case let .durationHours(n): "\(n)小时"
        case .missedChanges: "-- 有变化未能送达，请刷新列表"
        case let .repeatDigest(ticket, repeats, all, place, title): "工单 #\(ticket)  再次告警 \(repeats) 次（共 \(all) 次）  \(place)  \(title)"
        case let .cameraChange(camera, from, to): "摄像头 \(camera)：由\(Term(from).zh)变为\(Term(to).zh)"
        case let .ticketChange(ticket, change, state, severity, place, title, actor):
            "工单 #\(ticket)  \(Term(change).zh)  \(Term(state).zh)  \(Term(severity).zh)  \(place)  \(title)  （\(actor)）"

        // ArgumentParser's words
        case let .apOverview(text): "概述：\(text)"
        case let .apUsage(text): "用法：\(text)"
        case let .apErrorUsage(text): "用法：\(text)"
        case .apArgumentsHeader: "参数："
        case .apOptionsHeader: "选项："
        case .apSubcommandsHeader: "子命令："
        case .apShowHelp: "显示帮助信息。"
        case .apShowVersion: "显示版本号。"
        case .apShowSubcommandHelp: "显示子命令的帮助信息。"
        case .apDefaultSubcommand: "（默认）"
        case let .apDefault(value): "（默认：\(value)）"
        case .apOptionsPlaceholder: "<选项>"
        case .apSubcommandPlaceholder: "<子命令>"
        case .apSubcommandsPlaceholder: "<子命令>"
        case let .apSeeDetailedHelp(command): "各子命令的详细帮助：\(command) <子命令>"
        case let .apSeeMoreInformation(command): "详细说明：\(command)"
        case let .apError(message): "错误：\(message)"
        case let .apHelpLine(text): "说明：\(text)"
        case let .apMissingArgument(name): "缺少参数 '\(name)'"
        case let .apMissingOneOf(names): "缺少以下参数之一：\(names)"
        case let .apMissingValue(option): "选项 '\(option)' 缺少值"
        case let .apUnknownOption(option): "没有选项 '\(option)'"
        case let .apUnknownOptionSuggestion(option, suggestion): "没有选项 '\(option)'，是否要用 '\(suggestion)'？"
        case let .apUnexpectedArgument(argument): "多余的参数 '\(argument)'"
        case let .apUnexpectedArguments(count, list): "多余的参数 \(count) 个：\(list)"
        case let .apInvalidValue(value, name, detail): "'\(name)' 的值 '\(value)' 无效" + Self.argumentParserDetail(detail)
        case let .apOptionTakesNoValue(option, value): "选项 '\(option)' 不带值，但给了 '\(value)'"
        case .apMissingSubcommand: "缺少子命令"
        case let .apInvalidOption(option): "无效的选项：\(option)"
        }
    }

    /// Codes to type with their words: "new 待签收、acknowledged 已签收".
    private static func codesWithWords(_ codes: [String]) -> String {
        codes.map { "\($0) \(Term($0).zh)" }.joined(separator: "、")
    }

    /// What is overdue, in words: 超期签收, 超期办结.
    private static func overdueWord(_ code: String) -> String {
        switch code {
        case "acknowledge": "超期签收"
        case "close": "超期办结"
        default: "超期\(Term(code).zh)"
        }
    }

    /// What ArgumentParser appended to an invalid value (": why", ". Please provide one of
    /// 'a' and 'b'."), which stays in its English.
    private static func argumentParserDetail(_ detail: String) -> String {
        var rest = Substring(detail)
        while let first = rest.first, first == ":" || first == "." || first == " " { rest = rest.dropFirst() }
        return rest.isEmpty ? "" : "（\(rest)）"
    }
}

// MARK: - console

extension ConsoleText {
    public var zh: String {
        switch self {
        case .product: "网格视频巡查"
        case .navQueue: "工单队列"
        case .navCameras: "监控墙"
        case .navStats: "统计"
        case .logout: "退出登录"
        case .otherLanguage: "English"
        case let .signedInAs(user, role): "\(user)（\(role)）"
        case .loginTitle: "登录"
        case .username: "用户名"
        case .password: "密码"
        case .loginButton: "登录"
        case .loginFailed: "用户名或密码错误"
        case let .lockedOut(minutes): "登录失败次数过多，账户已锁定，请 \(minutes) 分钟后再试"
        case .loginBusy: "登录请求过多，请稍后再试"
        case .sessionEnded: "登录已过期，请重新登录"
        case .queueTitle: "工单队列"
        case .filterGrid: "网格"
        case .filterCategory: "类别"
        case .filterState: "状态"
        case .filterCamera: "摄像头"
        case .all: "全部"
        case .applyFilters: "筛选"
        case .colTicket: "工单"
        case .colSnapshot: "抓拍"
        case .colCamera: "摄像头"
        case .colGrid: "网格"
        case .colCategory: "类别"
        case .colState: "状态"
        case .colAge: "已过"
        case .colDeadline: "期限"
        case .supervised: "督办"
        case .emptyQueue: "没有待办工单"
        case .newHazard: "新的隐患工单"
        case .silence: "静音"
        case .unsilence: "取消静音"
        case .live: "实时"
        case .reconnecting: "连接中断，正在重连"
        case .overdueBy: "超期 {t}"
        case .dueIn: "剩余 {t}"
        case let .openCount(n): "待办工单 \(n) 张"
        case let .ticketHeading(id): "工单 #\(id)"
        case .fieldState: "状态"
        case .fieldSeverity: "级别"
        case .fieldCategory: "类别"
        case .fieldCamera: "摄像头"
        case .fieldGrid: "网格"
        case .fieldAssignee: "处置人"
        case .fieldOccurred: "发生时间"
        case .fieldAckDue: "签收期限"
        case .fieldCloseDue: "办结期限"
        case .fieldOccurrences: "告警次数"
        case .fieldCase: "案件编号"
        case .snapshotHeading: "抓拍画面"
        case .noSnapshot: "没有抓拍画面"
        case .clipHeading: "录像"
        case .noClip: "暂无录像"
        case .occurrencesHeading: "告警记录"
        case .historyHeading: "处理记录"
        case .colTime: "时间"
        case .colActor: "操作人"
        case .colChange: "变更"
        case .colNote: "备注"
        case .actionsHeading: "处置操作"
        case .noteLabel: "备注"
        case .noteRequired: "（必填）"
        case .assigneeLabel: "派给"
        case .addNote: "添加备注"
        case .noActionsAllowed: "当前状态下没有可用操作"
        case .readOnly: "您的角色只能查看，不能操作工单"
        case let .actionDone(action): "已\(Term(action).zh)"
        case .ticketChanged: "此工单有新的变化，点击刷新"
        case .backToQueue: "返回工单队列"
        case .legendZone: "区域"
        case .legendTripwire: "警戒线"
        case .legendTrajectory: "轨迹"
        case .legendMask: "屏蔽区"
        case .camerasTitle: "监控墙"
        case .fps: "帧率"
        case .noPicture: "暂无画面"
        case let .cameraHeading(name): "摄像头：\(name)"
        case .editGeometry: "编辑区域和警戒线"
        case let .editorTitle(name): "编辑区域和警戒线：\(name)"
        case .editorHelp: "在画面上单击添加顶点，拖动顶点调整位置；双击结束多边形。警戒线的箭头表示报警方向。保存后立即生效，不会断开视频流。"
        case .addZone: "新增区域"
        case .addTripwire: "新增警戒线"
        case .addMotionMask: "新增忽略区"
        case .addPrivacyMask: "新增隐私遮挡"
        case .flipDirection: "调转方向"
        case .deleteShape: "删除"
        case .save: "保存"
        case .saved: "已保存并生效"
        case .shapeName: "名称"
        case .statsTitle: "统计"
        case .periodDay: "今日"
        case .periodWeek: "近 7 天"
        case .periodMonth: "近 30 天"
        case .statsByGrid: "按网格"
        case .statsByCategory: "按类别"
        case .statsByHour: "热点时段"
        case .statsByRule: "按规则的误报率"
        case .statsByCamera: "按摄像头的误报率"
        case .colRaised: "上报"
        case .colCompletion: "办结率"
        case .colAckOnTime: "按时签收率"
        case .colCloseOnTime: "按时办结率"
        case .colMeanClose: "平均办结用时"
        case .colP90Close: "90% 办结用时"
        case .colRepeats: "重复工单"
        case .colFalseAlarms: "误报率"
        case .exportCSV: "导出 CSV"
        case .total: "合计"
        case .csrfRefused: "请求缺少有效的防伪令牌（CSRF），请刷新页面后重试"
        case .notFound: "页面不存在"
        case .forbidden: "您的角色无权访问此页面"
        case let .minutes(n): "\(n) 分钟"
        case let .hours(n): "\(n) 小时"
        case let .days(n): "\(n) 天"
        case let .occurrenceLine(n): "第 \(n) 次"
        }
    }
}
