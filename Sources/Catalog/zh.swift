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
        case let .plain(text): text
        case let .repeatOf(ticket): "工单 \(ticket) 处理后同一问题再次出现：重复工单"
        case let .streamFault(fault): fault.zh
        case let .offlineAgain(since, fault): "自 \(since) 起再次离线\(fault.map { "（\($0.zh)）" } ?? "")"
        case let .recovered(seconds): "离线 \(seconds) 秒后恢复"
        case .evidenceExpired: "证据超过保存期限，已删除"
        case .evidenceOverBudget: "超出存储预算，证据已删除"
        case .archived: "已归档"
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

extension Term {
    public var zh: String { Term.chinese[code] ?? code }

    static let chinese = [
        // Camera states
        "connecting": "连接中", "streaming": "在线", "stalled": "卡顿", "backoff": "等待重连", "offline": "离线", "auth_failed": "认证失败",
        "stopped": "已停止", "disabled": "已停用", "enabled": "已启用",
        // Ticket states
        "new": "待签收", "acknowledged": "已签收", "dispatched": "已派单", "in_progress": "处置中", "resolved": "已处置", "verified": "已核查",
        "closed": "已结案", "false_alarm": "误报", "reopened": "退回重办",
        // Severities and categories
        "low": "低", "medium": "中", "high": "高", "critical": "紧急",
        "intrusion": "闯入", "corrections": "社区矫正", "hazard": "隐患", "camera_offline": "摄像头离线",
        // Actions, history events and live changes
        "created": "上报", "occurrence": "再次告警", "acknowledge": "签收", "dispatch": "派单", "escalate": "上报上级", "start": "开始处置",
        "resolve": "处置完成", "verify": "核查", "close": "结案", "reopen": "退回重办", "note": "备注", "escalation": "超期督办",
        "offline_again": "再次离线", "recovered": "已恢复", "evidence_purged": "证据已删除", "repeat_problem": "重复问题", "archived": "已归档",
        "updated": "已更新",
        // Ticket kinds (rule events)
        "zone_enter": "进入区域", "zone_exit": "离开区域", "loiter": "徘徊", "crowd": "人员聚集", "crossing": "越线",
        // Statistics groupings and periods
        "grid": "网格", "camera": "摄像头", "category": "类别", "rule": "规则", "hour": "小时", "day": "日", "week": "周", "month": "月", "year": "年",
        // Roles
        "admin": "管理员", "operator": "值班员", "viewer": "查看员", "leader": "网格长", "worker": "网格员",
    ]
}

// MARK: - gridwatchctl
