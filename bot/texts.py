"""Everything the bot says, in Simplified Chinese, in one place."""

from __future__ import annotations

from collections.abc import Iterable

# (command, description) for setMyCommands and /help, in menu order.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("subscribe", "订阅单位的截止提醒：/subscribe 单位名"),
    ("unsubscribe", "取消订阅：/unsubscribe 单位名"),
    ("mine", "查看本聊天订阅的单位"),
    ("tasks", "查看未完成事项：/tasks [单位名]"),
    ("done", "标记完成：/done 编号 [备注]"),
    ("undo", "撤销完成：/undo 编号"),
    ("progress", "填报进展：/progress 编号 进展说明"),
    ("extend", "申请延期：/extend 编号 新日期 理由"),
    ("request", "单位目录里没有你的单位时申请添加：/request 单位全称"),
    ("help", "使用说明"),
)
# Admins see these too, in their own chat's menu (BotCommandScopeChat).
ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    *COMMANDS[:-1],
    ("review", "需要人工确认的事项：待确认任务、不明期限（管理员）"),
    ("setdue", "设定截止日期：/setdue 编号 日期（管理员）"),
    ("pending", "待批准的订阅申请（管理员）"),
    ("report", "导出督办台账和统计图（管理员）"),
    COMMANDS[-1],
)
ADMIN_HELP = (
    "\n\n管理员命令：\n"
    "/review — 待确认的任务（确认、不是任务）和需要人工确认的期限\n"
    "/setdue 编号 日期 — 设定截止日期\n"
    "/pending — 待批准的订阅申请\n"
    "/report [计划编号] — 导出督办台账（Excel）和统计图\n"
    "直接发送计划文件（Word、Excel、PDF、网页、文本）即可导入，先预览再确认。"
)

HELP = (
    "我是督办机器人：把《政务公开工作要点》任务分解表里的事项，按单位在工作日早上提醒你。\n"
    "\n"
    "/subscribe 单位名 — 订阅某个单位的提醒（一个聊天可订阅多个单位）\n"
    "/request 单位全称 — 单位目录里没有你的单位时，申请管理员添加\n"
    "/unsubscribe 单位名 — 取消订阅\n"
    "/mine — 本聊天订阅了哪些单位\n"
    "/tasks [单位名] — 未完成的事项，逾期的在前\n"
    "/done 编号 [备注] — 标记完成；/undo 编号 — 撤销\n"
    "/progress 编号 进展 — 填报进展（也可回复提醒“进度：…”）\n"
    "/extend 编号 新日期 理由 — 申请延期，管理员审批\n"
    "\n"
    "也可以直接点提醒下面的「✅ 完成」，或回复提醒消息“完成”“完成 3 5”。"
)
START = "你好！" + HELP

NO_UNITS_KNOWN = "还没有任何单位。请管理员先导入工作要点（duban import 文件）。"
CHOOSE_UNIT = "请选择要订阅的单位："
CHOOSE_AMONG = "“{query}”可能是以下几个单位，请选择："
NOT_FOUND = "没有找到“{query}”这个单位。"
GROUP_NAME = "“{query}”是群组，不是一个单位：请订阅你所在的具体单位，例如 /subscribe 区教育局。"
REQUEST_HINT = "\n如果这是你的单位、只是目录里还没有，请发送 /request {query} 申请添加。"
REQUEST_USAGE = (
    "用法：/request 单位全称，例如 /request 石化街道。管理员把它加入单位目录后会通知你，并为本聊天订阅。"
)
REQUEST_EXISTS = "“{unit}”已经在单位目录里了：发送 /subscribe {unit} 订阅。"
REQUEST_SENT = "已提交添加“{name}”的申请。管理员加入单位目录后会通知你，并自动为本聊天订阅。"
REQUEST_ALREADY = "添加“{name}”的申请已经提交过，正在等待管理员处理。"
ADMIN_UNIT_REQUEST = (
    "单位申请：{user}（用户 ID {user_id}）在聊天 {chat} 申请把“{name}”加入单位目录。请选择它的类别："
)
UNIT_ADDED_ADMIN = "✅ 已把“{name}”作为{kind}加入单位目录，并为申请的聊天订阅（{admin}）。"
UNIT_DECLINED_ADMIN = "❌ 没有添加“{name}”（{admin}）。"
UNIT_ADDED_USER = (
    "管理员已把“{name}”（{kind}）加入单位目录，本聊天已订阅。它现在有 {count} 项待办：发送 /tasks 查看。"
)
UNIT_DECLINED_USER = "管理员没有把“{name}”加入单位目录。请核对单位全称，或直接联系管理员。"
UNIT_REQUEST_GONE = "这个申请已经处理过了。"
KIND_CN = {"department": "部门", "town": "镇", "street": "街道", "other": "其他单位"}
CLOSEST = "最接近的是：{names}。可以用 /subscribe 完整单位名 再试一次。"
SUBSCRIBED = "已订阅「{unit}」。每个工作日 {time} 会在这里提醒它的到期事项。"
ALREADY_SUBSCRIBED = "本聊天已经订阅了「{unit}」。"
PENDING = "已提交订阅「{unit}」的申请，管理员批准后生效。"
ALREADY_PENDING = "订阅「{unit}」的申请正在等待管理员批准。"
NO_ADMINS = "（注意：配置中没有管理员，暂时无人能批准。请联系系统管理员。）"
ADMIN_REQUEST = "订阅申请：{user}（用户 ID {user_id}）申请在聊天 {chat} 订阅「{unit}」。"
ADMIN_APPROVED = "✅ 已批准：{user} 订阅「{unit}」（由 {admin} 批准）。"
ADMIN_DENIED = "❌ 已拒绝：{user} 订阅「{unit}」（由 {admin} 拒绝）。"
APPROVE = "批准"
DENY = "拒绝"
USER_APPROVED = "管理员已批准：本聊天现在订阅了「{unit}」。"
USER_DENIED = "管理员未批准本聊天订阅「{unit}」。如有疑问请联系管理员。"
DECISION_GONE = "这条申请已经处理过或不存在了。"
ADMIN_ONLY = "抱歉，这个操作只有管理员可以使用。"
NO_PENDING = "没有等待审批的订阅申请。"
PENDING_HEADER = "等待审批的订阅申请（共 {count} 个）："

NO_SUBSCRIPTIONS = "本聊天还没有订阅任何单位。用 /subscribe 单位名 订阅。"
MINE_HEADER = "本聊天订阅的单位："
STATUS_PENDING = "（等待管理员批准）"
CHOOSE_UNSUBSCRIBE = "请选择要取消订阅的单位："
UNSUBSCRIBED = "已取消订阅「{unit}」。"
NOT_SUBSCRIBED = "本聊天没有订阅“{query}”。"

NO_OPEN_ITEMS = "没有未完成的事项。"
NO_OPEN_ITEMS_OF = "「{unit}」没有未完成的事项。"
ONLY_PENDING = "本聊天的订阅还在等待管理员批准，批准后才能查看和标记事项。"

# Every typed input has a length cap with a clear answer (a unit name, a note).
MAX_NAME = 50
MAX_NOTE = 500
NAME_TOO_LONG = f"单位名称太长了（最多 {MAX_NAME} 个字），请只写单位名称，例如 /subscribe 区教育局。"
NOTE_TOO_LONG = f"备注太长了，请控制在 {MAX_NOTE} 字以内。"

DONE_USAGE = (
    "用法：/done 编号 [备注]，例如 /done 12 已在门户网站公开；几项一起：/done 12、15。编号见提醒或 /tasks。"
)
# Private chats: whatever the bot did not understand gets a short hint instead of silence.
UNKNOWN_COMMAND = "不认识命令 {command}。可用的命令见 /help。"
NOT_UNDERSTOOD = (
    "没看懂这条消息。标记完成：发送“完成 12”或 /done 12；查看待办：/tasks；订阅单位：/subscribe 单位名；"
    "全部用法：/help。"
)
PROGRESS_HOW = "填报进展：回复提醒消息“进度：……”，或发送 /progress 编号 进展（如 /progress 12 已完成初稿）。"
DONE_WHICH = "要标记哪一项？请写编号，例如“完成 12”，或直接回复提醒消息“完成”。"
UNDO_USAGE = "用法：/undo 编号，例如 /undo 12。"
NOT_YOURS = "#{task} 不是本聊天所订阅单位的事项，不能标记。"
NO_SUCH_TASK = "没有编号为 #{task} 的事项。编号见提醒或 /tasks。"
MARKED = "已标记完成：#{task}（{unit}）。"
ALREADY_DONE = "#{task}（{unit}）之前已经标记为完成。"
UNDONE = "已撤销：#{task}（{unit}）恢复为未完成。"
NOT_DONE = "#{task}（{unit}）本来就没有标记完成。"
WHICH_UNIT = "#{task} 涉及本聊天订阅的多个单位，请选择是哪个单位完成的："
WHICH_ITEM = "这条消息里有多个事项，请选择完成了哪一个："
NOT_IN_MESSAGE = "#{tasks} 不在这条消息里。"
NOTHING_TO_MARK = "这条消息里没有可以标记的事项。"

CALLBACK_DONE = "已标记完成 ✅"
CALLBACK_ALREADY = "之前已经标记完成了"
CALLBACK_REFUSED = "无法完成这个操作：按钮已失效或不属于本聊天的单位。"
CALLBACK_UNKNOWN = "这个按钮已失效。"

ERROR = "抱歉，处理时出了点问题，已记录下来。请稍后再试。"

DONE_BUTTON = "✅ 完成 #{task}"
DONE_BUTTON_UNIT = "✅ #{task} {unit}"
DONE_MARK = "✅ "


def lines(header: str, items: Iterable[str]) -> str:
    """A header followed by one item per line."""
    return "\n".join([header, *items])
