# ruff: noqa: E501 -- the fragments are data, one sentence a line
"""Write the labelled training corpus ``tests/data/train_<lang>.tsv``.

Run: ``python scripts/gen_training_corpus.py``. Each complaint is put
together from hand-written fragments: a subject and one or more problem
sentences of its category, and optionally an opening about the order or
the channel, sentences that mention other topics in passing (a long story
whose category only shows late), a demand, a tone (angry, polite, slang),
typing mistakes and mixed Chinese and English. A fixed seed makes the
output reproducible; the corpus is data, committed with the repository,
and ``scripts/train_classifier.py`` reads it.

The frozen held-out set (``tests/data/heldout_v2_<lang>.tsv``) is not read
here: it stays independent of everything used for training.
"""

from __future__ import annotations

import csv
import random
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PER_CATEGORY = 130
CATEGORIES = ("service", "goods", "after_sales", "transaction_dispute", "violation")

# -- English -------------------------------------------------------------------

EN_SLOTS = {
    "item": [
        "air fryer",
        "winter coat",
        "bluetooth speaker",
        "baby bottle set",
        "gaming mouse",
        "office chair",
        "electric toothbrush",
        "pair of jeans",
        "rice cooker",
        "smart watch",
        "yoga mat",
        "set of pans",
        "tablet",
        "mattress",
        "hair dryer",
        "pair of boots",
        "wireless router",
        "microwave",
        "printer",
        "dining table",
        "school backpack",
        "skincare set",
        "camera lens",
        "e-reader",
        "electric scooter",
        "box of tea",
    ],
    "days": ["3", "4", "five", "6", "ten", "12", "14", "twenty", "30", "45"],
    "amount": ["39", "128", "199", "260", "499", "1,299", "88.50", "2,380", "75", "640"],
    "brand": ["Adidas", "Sony", "Lancome", "Apple", "Dyson", "Uniqlo", "Philips", "Canon"],
    "who": ["the agent", "the rep", "your staff member", "the operator", "the support person"],
}

EN = {
    "service": {
        "subject": [
            "Support never gets back to me",
            "Useless customer support",
            "Can't reach a human",
            "Account problem nobody fixes",
            "Your app is broken",
            "Horrible attitude from staff",
            "Help center is a maze",
            "Frozen account",
            "still no answer from customer care",
            "Platform service is getting worse",
            "Login issue for {days} days",
            "Complaint about your agent",
            "Verification keeps failing",
            "Bad service experience",
            "customer service hung up",
            "why is my account restricted",
        ],
        "core": [
            "I have contacted customer service {days} times and every answer is a canned script that ignores my question.",
            "{who} on the phone was extremely rude and told me to stop calling.",
            "My account was restricted without any notice and the appeal button does nothing.",
            "The online chat keeps disconnecting before an agent joins, I have lost count of how often.",
            "I cannot log in since yesterday, the verification code never shows up and support cannot explain why.",
            "Your support line kept me waiting for over an hour and then the call dropped.",
            "The agent promised to escalate my case and then nobody ever contacted me again.",
            "Every time I open a ticket it gets closed automatically after {days} days with no reply.",
            "The help pages contradict each other and customer service just sends me links to them.",
            "I was passed from one department to the next and nobody took responsibility.",
            "{who} mocked me for not understanding the app, which I found insulting.",
            "The app logs me out every few minutes and customer care says it is my phone.",
            "My membership benefits were removed and support refuses to tell me why.",
            "Nobody at your service desk speaks clearly, they just repeat please wait patiently.",
            "I asked support to delete my account and data, it has been {days} days and nothing happened.",
            "The platform keeps sending me marketing texts after I unsubscribed, and support ignores it.",
            "The customer service robot answers a completely different question each time.",
            "I was told by one agent to do one thing and by another agent the exact opposite.",
            "Your customer service closed the chat on me while I was still typing.",
            "The real-name verification rejected my documents {days} times without giving a reason.",
            "My balance of platform coupons vanished and the service team says they cannot check.",
            "I cannot change the email on my profile, the settings page throws an error and nobody helps.",
            "Support said they would call me back within the day, I am still waiting a week later.",
            "The staff on the hotline were impatient and cut me off mid sentence.",
        ],
        "extra": [
            "This is about how your platform treats its users, not about any shop.",
            "I only want someone competent to look at my account.",
            "I have screenshots of the whole chat.",
            "Honestly the service attitude is the worst part.",
            "Please train your support staff properly.",
            "Nobody at customer service takes ownership.",
        ],
    },
    "goods": {
        "subject": [
            "Poor quality {item}",
            "{item} broke quickly",
            "Not as described",
            "Defective {item}",
            "Item looks nothing like the photos",
            "Bad product",
            "{item} is faulty",
            "cheap materials",
            "Wrong specifications on listing",
            "Quality issue",
            "Product is unsafe",
            "disappointed with the {item}",
            "Listing details are false",
            "Fake specs on the {item}",
            "Food item spoiled",
        ],
        "core": [
            "The {item} stopped working after {days} days of normal use.",
            "The {item} I received feels flimsy and cheap, nothing like the sturdy build shown in the pictures.",
            "The listing said the {item} is made of solid wood but it is particle board with a sticker.",
            "The colour of the {item} is completely different from the product photos.",
            "There is a crack in the {item} and part of the casing is loose.",
            "The {item} gives off a strong chemical smell that does not go away.",
            "The product specifications say one size but the {item} I got is clearly much smaller.",
            "The seams on the {item} split on the first day I used it.",
            "The {item} leaks from the bottom, clearly a manufacturing defect.",
            "The food was mouldy when I opened it even though the date was fine.",
            "The battery of the {item} lasts about a third of what the description claims.",
            "The {item} overheats and trips the power after a few minutes.",
            "The fabric pilled and faded after one gentle wash.",
            "Parts of the {item} are missing and the ones included do not fit together.",
            "The weight printed on the package is much more than what is actually inside.",
            "The product is a lower model than the one named in the listing.",
            "The screen of the {item} flickers and has a line across it.",
            "The price on the product page was {amount} but the same product was charged higher at checkout with no explanation of the difference.",
            "The zip on the {item} broke the first time I closed it.",
            "The instructions and labels on the product are wrong and the product does not do what they say.",
            "The {item} is scratched and dented as if it was a display unit, the quality is unacceptable.",
            "It has sharp edges and a loose part that could hurt my kid, the product is not safe.",
            "The taste is off and the ingredient list does not match what was described.",
            "The {item} makes a loud grinding noise right out of the box.",
        ],
        "extra": [
            "For {amount} I expected much better quality.",
            "The product simply does not match its description.",
            "I attached photos of the defect.",
            "The quality is honestly terrible.",
            "It is not usable in this condition.",
            "Shipping and the seller were fine, it is the item itself.",
        ],
    },
    "after_sales": {
        "subject": [
            "Return not handled",
            "Warranty repair problem",
            "After-sales service is terrible",
            "Refund after return missing",
            "Repair delayed",
            "exchange request ignored",
            "Technician did not turn up",
            "Warranty claim rejected",
            "Return refused",
            "After sales keeps stalling",
            "Installation service complaint",
            "Repair made it worse",
            "Still waiting on my replacement",
            "Service centre problem",
        ],
        "core": [
            "I requested a return within the return period and the after-sales team has not responded for {days} days.",
            "I sent the {item} for warranty repair and it came back with the same fault.",
            "The after-sales department rejected my warranty claim saying the damage was caused by me, which is not true.",
            "The technician booked to install my {item} never showed up and nobody called to explain.",
            "They received my returned {item} {days} days ago and the return refund still has not been issued.",
            "The replacement I got through the exchange has exactly the same defect as the first one.",
            "The repair centre has had my {item} for {days} days and keeps saying the part is on order.",
            "After-sales asked me to pay for return postage even though the item is faulty.",
            "The repairman charged me a call-out fee in cash even though the {item} is still under warranty.",
            "My return was refused because they claimed the packaging was opened, although the policy allows that.",
            "The after-sales staff were rude and hung up when I asked about my repair status.",
            "The warranty card they gave me is not recognised by the service centre.",
            "The installer damaged my floor while setting up the {item} and after-sales denies responsibility.",
            "I was promised a replacement unit {days} days ago and have heard nothing since.",
            "The exchange was approved but they never sent the new size, only took the old one back.",
            "The after-sales hotline never picks up when I call about the repair.",
            "The service provider cancelled my maintenance appointment again on the same morning.",
            "They said the refund for the return would take three days, it has been {days}.",
            "The brand's service centre refuses to fix products bought through this platform.",
            "My repaired {item} came back with new scratches and a missing screw.",
            "After-sales keeps sending me back to the shop and the shop sends me back to after-sales.",
            "They deducted a restocking fee from my return refund that was never mentioned.",
            "The replacement they sent under warranty is a used unit, not new.",
        ],
        "extra": [
            "I followed the return procedure exactly.",
            "The item is clearly within warranty.",
            "I want the repair done properly or a replacement.",
            "The after-sales process is a joke.",
            "I have the return tracking number as proof.",
            "Nobody in after-sales follows up.",
        ],
    },
    "transaction_dispute": {
        "subject": [
            "Charged twice for one order",
            "Parcel never arrived",
            "Seller cancelled my paid order",
            "Payment problem",
            "Delivery delayed for weeks",
            "Seller won't ship",
            "Money deducted but no order",
            "Courier lost my package",
            "Dispute with the seller",
            "Wrong delivery address used",
            "Package marked delivered but missing",
            "Seller asking for more money",
            "Refund of payment stuck",
            "Disagreement on the price",
        ],
        "core": [
            "I paid {amount} for my order and the seller has still not shipped it after {days} days.",
            "My bank shows two charges of {amount} for a single order.",
            "The tracking says delivered but I never received any parcel.",
            "The seller cancelled my order after I paid and will not return the money.",
            "The courier left my package outside in the rain and now it is missing.",
            "The payment failed on the app but the money was deducted from my card anyway.",
            "The seller now wants an extra {amount} for shipping that was not on the listing.",
            "The logistics information has not been updated for {days} days and nobody knows where the parcel is.",
            "The seller and the delivery company keep blaming each other for the lost parcel.",
            "I paid cash on delivery but the seller claims they never received the payment.",
            "The seller changed the price after we agreed and charged me the higher amount.",
            "The buyer received the goods and then opened a dispute claiming they never arrived.",
            "The delivery arrived {days} days after the guaranteed date.",
            "My parcel was delivered to a different city because the courier mixed up the labels.",
            "My order was charged in full instead of the instalments I selected at checkout.",
            "The seller refuses to honour the discount that was applied when I placed the order.",
            "There is a payment on my account for an order I never placed.",
            "The seller shipped only part of the order and claims the rest was never paid for.",
            "The deposit I paid for a pre-order has not been returned although the seller cancelled.",
            "The courier refused to deliver to my door and demanded a tip first.",
            "My money is stuck in the platform wallet, the order shows neither paid nor cancelled.",
            "The box arrived torn open and half of the order was gone.",
            "The seller marked the order as shipped but the tracking number is fake.",
        ],
        "extra": [
            "I have the payment receipt.",
            "I just want my money back or my order delivered.",
            "The seller stopped replying to messages.",
            "The courier says it is not their problem.",
            "This is a problem with the transaction itself.",
            "I have screenshots of our chat where we agreed on it.",
        ],
    },
    "violation": {
        "subject": [
            "Counterfeit goods on sale",
            "False advertising",
            "Infringement of our trademark",
            "Seller copying my work",
            "Fake reviews",
            "Illegal products listed",
            "Misleading claims",
            "Unfair competition",
            "Knockoff {brand} products",
            "Copyright violation",
            "Fraudulent promotion",
            "Seller impersonating a brand",
            "Privacy violation by a seller",
            "Prohibited item for sale",
        ],
        "core": [
            "This store sells counterfeit {brand} products and labels them as genuine.",
            "The listing claims the product cures illnesses, which is false and dangerous advertising.",
            "The shop uses our registered trademark in its name without permission.",
            "A seller copied the photos and text of my listing word for word.",
            "The store buys fake reviews, hundreds of identical five star comments appeared in one day.",
            "They advertise a discount against an original price that never existed.",
            "This seller is selling pirated copies of software and films.",
            "The shop sells items that are banned on the platform, like weapons parts.",
            "A competitor keeps posting fake negative reviews on our products to push us down.",
            "The seller claims to be an authorised {brand} dealer but the brand says they are not.",
            "The product carries a fake certification mark that the certifying body has never issued.",
            "The advert shows a celebrity endorsement that the celebrity never gave.",
            "The store copies our patented design and sells it for half the price.",
            "Someone is reselling my photographs with the watermark removed.",
            "The seller published my name and phone number in a public post.",
            "The promotion counter resets every day, the limited offer is permanent and misleading.",
            "The listing says imported but the label shows it is made locally, that is false advertising.",
            "They are inflating their sales numbers with fake orders to climb the rankings.",
            "The product claims a medical effect without any approval.",
            "This shop sells replicas of {brand} handbags with the real logo on them.",
            "A seller is using our brand name in keywords to divert customers to his knockoffs.",
            "The store pressures buyers into paying outside the platform to dodge the rules.",
        ],
        "extra": [
            "Please remove these listings.",
            "This breaks the platform's own rules.",
            "We hold the rights and can provide proof.",
            "Other buyers are being misled too.",
            "This is not a one off, the shop does it on every product.",
            "I have reported it before and the listing is still up.",
        ],
    },
}

EN_OPEN = [
    "Hi,",
    "Hello there.",
    "Writing this through the app.",
    "Second time I'm writing about this.",
    "Dear platform team,",
    "I never complain but here we go.",
    "Okay so.",
    "Order number in the attachment.",
    "I'm a regular customer.",
    "Calling was useless so I'm writing.",
    "Sorry for the long message.",
    "Ugh.",
    "To whom it may concern,",
    "My mum asked me to write this for her.",
]
EN_DISTRACT = {
    "service": [
        "Your chat agent was polite, to be fair.",
        "Customer service replied quickly this time.",
    ],
    "goods": ["The product itself is fine.", "Nothing wrong with the item quality."],
    "after_sales": ["I did not need any repair or return.", "I have not asked for a return."],
    "transaction_dispute": [
        "Delivery was quick and payment went through fine.",
        "The parcel arrived on time.",
    ],
    "violation": ["The shop looks legit.", "It is a genuine brand store."],
}
EN_STORY = [
    "I bought a {item} last month for my parents.",
    "This started about {days} days ago.",
    "Let me explain from the beginning.",
    "I've been using this platform for years without problems.",
    "At first everything looked normal.",
    "I placed the order during the big sale.",
    "My wife handled the first part, I'm following up now.",
]
EN_CLOSE = [
    "Please sort this out.",
    "I expect a reply within 24 hours.",
    "Thanks.",
    "Absolutely fed up.",
    "What are you going to do about it?",
    "I want compensation.",
    "Please look into it asap!!",
    "Not happy at all.",
    "Hope someone actually reads this.",
    "I will report this to the consumer association if nothing changes.",
    "",
]

# -- Chinese -------------------------------------------------------------------

ZH_SLOTS = {
    "item": [
        "空气炸锅",
        "羽绒服",
        "蓝牙音箱",
        "奶瓶套装",
        "游戏鼠标",
        "办公椅",
        "电动牙刷",
        "牛仔裤",
        "电饭煲",
        "智能手表",
        "瑜伽垫",
        "炒锅",
        "平板电脑",
        "床垫",
        "吹风机",
        "马丁靴",
        "路由器",
        "微波炉",
        "打印机",
        "餐桌",
        "书包",
        "护肤套装",
        "相机镜头",
        "电动滑板车",
        "茶叶礼盒",
    ],
    "days": ["三", "4", "五", "6", "十", "12", "半个月", "二十", "30", "四十五"],
    "amount": ["39", "128", "199", "260", "499", "1299", "88.5", "2380", "75", "640"],
    "brand": ["阿迪达斯", "索尼", "兰蔻", "苹果", "戴森", "优衣库", "飞利浦", "佳能"],
    "who": ["那个客服", "接电话的客服", "你们的工作人员", "在线客服", "客服专员"],
}

ZH = {
    "service": {
        "subject": [
            "客服一直不回",
            "客服服务太差",
            "转不了人工",
            "账号问题没人解决",
            "APP用不了",
            "工作人员态度差",
            "帮助中心没用",
            "账号被冻结",
            "客服踢皮球",
            "平台服务越来越差",
            "登录不了",
            "投诉客服",
            "认证一直失败",
            "服务体验极差",
            "账户受限不给理由",
        ],
        "core": [
            "联系了客服{days}次，每次都是套话模板，根本不看我的问题。",
            "{who}在电话里非常不耐烦，还让我别再打了。",
            "账号在没有任何通知的情况下被限制使用，申诉按钮点了没反应。",
            "在线客服总是还没接入人工就断开了，已经记不清多少次了。",
            "从昨天开始登录不上，验证码一直收不到，客服也说不清原因。",
            "客服热线让我等了一个多小时，然后电话就断了。",
            "客服说会升级处理，然后就再也没人联系过我。",
            "每次提交的工单{days}天后就自动关闭，从来没有回复。",
            "帮助中心的说明前后矛盾，客服只会发这些链接给我。",
            "被一个部门推给另一个部门，谁也不负责。",
            "{who}嘲笑我不会用手机，我觉得被侮辱了。",
            "APP每隔几分钟就自动退出登录，客服说是我手机的问题。",
            "会员权益被取消了，客服不肯告诉我为什么。",
            "客服只会重复“请您耐心等待”，一点实际帮助都没有。",
            "我要求注销账号删除数据，{days}天过去了什么都没处理。",
            "取消订阅以后平台还是天天给我发营销短信，客服不管。",
            "智能客服每次都答非所问。",
            "一个客服让我这样操作，另一个客服说完全相反，到底听谁的。",
            "我还在打字，客服就把对话结束了。",
            "实名认证提交了{days}次材料都被驳回，也不说原因。",
            "账户里的平台优惠券突然没了，客服说查不到。",
            "个人资料里的邮箱改不了，设置页面一直报错，也没人帮忙。",
            "客服说当天给我回电话，一周了还在等。",
            "热线的工作人员很不耐烦，我话没说完就打断我。",
        ],
        "extra": [
            "这是平台自己的服务问题，跟商家没关系。",
            "只希望有个靠谱的人帮我看看账号。",
            "整个聊天记录我都截图了。",
            "说实话服务态度是最让人生气的。",
            "请好好培训一下你们的客服。",
            "客服没有一个人愿意负责。",
        ],
    },
    "goods": {
        "subject": [
            "{item}质量太差",
            "{item}很快就坏了",
            "与描述不符",
            "{item}有质量问题",
            "实物和图片差太多",
            "产品很差",
            "{item}是残次品",
            "用料太廉价",
            "参数虚标",
            "商品质量问题",
            "产品不安全",
            "对{item}很失望",
            "商品详情写的不对",
            "食品变质了",
            "做工粗糙",
        ],
        "core": [
            "{item}正常使用了{days}天就坏了。",
            "收到的{item}又轻又薄，跟图片里结实的样子完全不一样。",
            "商品页写的是实木，收到的是贴了皮的颗粒板。",
            "{item}的颜色和商品图片完全不是一个颜色。",
            "{item}外壳有裂缝，有个部件还是松的。",
            "{item}有一股很重的化学味，放了好几天都散不掉。",
            "规格写的是一个尺寸，收到的{item}明显小了一大圈。",
            "{item}第一天用就开线了。",
            "{item}底部漏水，明显是做工有问题。",
            "打开就发霉了，生产日期倒是没过期。",
            "{item}的续航只有描述里说的三分之一。",
            "{item}用几分钟就过热跳闸。",
            "衣服轻轻洗了一次就起球褪色。",
            "{item}少了零件，有的零件还装不上。",
            "包装上写的净含量比实际里面的多很多。",
            "收到的型号比商品页写的低一档。",
            "{item}屏幕一直闪，还有一条线。",
            "商品页价格是{amount}，结算的时候同一件商品变贵了，也没说明为什么。",
            "{item}的拉链第一次拉就坏了。",
            "说明书和标签写的功能，这个产品根本做不到。",
            "{item}有划痕有凹陷，像是展示机，质量没法接受。",
            "边角很锋利还有零件松动，小孩用很不安全。",
            "味道不对，配料表和描述的也不一样。",
            "{item}一开箱就有很响的异响。",
        ],
        "extra": [
            "花了{amount}买的，质量太让人失望了。",
            "产品跟描述根本对不上。",
            "质量问题的照片已经上传了。",
            "质量真的太差了。",
            "这样根本没法用。",
            "物流和商家都没问题，就是东西本身不行。",
        ],
    },
    "after_sales": {
        "subject": [
            "退货没人处理",
            "保修维修有问题",
            "售后服务太差",
            "退货后不退款",
            "维修拖延",
            "换货申请没人管",
            "安装师傅没来",
            "保修申请被拒",
            "拒绝退货",
            "售后一直拖",
            "安装服务投诉",
            "越修越坏",
            "换新一直没到",
            "维修点态度差",
        ],
        "core": [
            "在退货期内申请了退货，售后{days}天都没有回应。",
            "{item}送去保修，拿回来还是同样的毛病。",
            "售后说是人为损坏拒绝保修，根本不是这样。",
            "约好上门安装{item}的师傅没来，也没人打电话说明。",
            "退回的{item}{days}天前就签收了，退货的退款还没到。",
            "换货换来的和第一个是一样的问题。",
            "维修点拿走我的{item}{days}天了，一直说配件在订。",
            "明明是质量问题，售后还让我自己出退货运费。",
            "还在保修期，维修师傅非要收现金上门费。",
            "说包装拆过了不给退货，可是规则里写着可以拆。",
            "问维修进度，售后人员态度很差，直接挂电话。",
            "给的保修卡到了维修中心说不认。",
            "安装{item}的师傅把我家地板刮坏了，售后不认账。",
            "{days}天前答应给换新机，之后就再没消息了。",
            "换货申请通过了，旧的收回去了，新尺码一直不发。",
            "打售后电话问维修的事，一直没人接。",
            "服务商又在当天早上取消了我的保养预约。",
            "说退货退款三天到账，已经{days}天了。",
            "品牌维修中心说平台上买的不给修。",
            "修好的{item}拿回来多了新划痕还少了颗螺丝。",
            "售后让我找店铺，店铺又让我找售后，来回踢皮球。",
            "退货退款被扣了一笔从来没说过的手续费。",
            "保修换来的是二手机，根本不是新的。",
        ],
        "extra": [
            "退货流程我都是按要求走的。",
            "东西明明还在保修期内。",
            "要么好好修，要么换新。",
            "这个售后真的是摆设。",
            "退货快递单号我都留着。",
            "售后没有一个人跟进。",
        ],
    },
    "transaction_dispute": {
        "subject": [
            "一个订单扣了两次钱",
            "包裹一直没到",
            "付款后商家取消订单",
            "支付出问题",
            "物流延误好几周",
            "商家不发货",
            "扣了钱没有订单",
            "快递弄丢了包裹",
            "和商家有纠纷",
            "送错地址",
            "显示签收但没收到",
            "商家要求加钱",
            "付款退不回来",
            "价格谈不拢",
        ],
        "core": [
            "订单付了{amount}，{days}天了商家还没发货。",
            "银行卡同一个订单扣了两次{amount}。",
            "物流显示已签收，可我根本没收到包裹。",
            "付款以后商家取消了订单，钱也不退给我。",
            "快递员把包裹放在门外淋雨，现在包裹不见了。",
            "APP上显示支付失败，可银行卡的钱已经扣了。",
            "商家现在要我再补{amount}运费，商品页根本没写。",
            "物流信息{days}天没更新了，没人知道包裹在哪。",
            "商家和快递公司互相推卸包裹丢失的责任。",
            "货到付款我已经付了现金，商家却说没收到钱。",
            "谈好价格以后商家又改价，按高的价格扣了我的钱。",
            "买家收到货以后发起纠纷说没收到。",
            "比承诺的送达时间晚了{days}天。",
            "快递贴错面单，包裹被送到了别的城市。",
            "下单时选的是分期，结果一次性全扣了。",
            "下单时用了优惠，商家现在不认这个优惠。",
            "账户里有一笔我从来没下过的订单的付款。",
            "商家只发了一部分货，说剩下的没付款。",
            "预售交的定金，商家取消了也不退。",
            "快递员不送上门，还要先给小费。",
            "钱卡在平台钱包里，订单既不显示已付款也不显示取消。",
            "箱子到的时候被拆开了，少了一半的东西。",
            "商家点了发货，但给的快递单号是假的。",
        ],
        "extra": [
            "付款凭证我都有。",
            "要么把钱退给我，要么把货送到。",
            "商家已经不回消息了。",
            "快递说跟他们没关系。",
            "这是交易本身出了问题。",
            "聊天记录里谈好的价格我都截图了。",
        ],
    },
    "violation": {
        "subject": [
            "店铺卖假货",
            "虚假宣传",
            "侵犯我们的商标",
            "卖家抄袭我的作品",
            "刷好评",
            "卖违禁品",
            "夸大宣传",
            "不正当竞争",
            "{brand}山寨货",
            "侵犯版权",
            "虚假促销",
            "冒充品牌",
            "卖家泄露隐私",
            "违规商品",
        ],
        "core": [
            "这家店卖{brand}的假货，还标着正品。",
            "商品页说能治病，这是虚假宣传，很危险。",
            "店铺名字里用了我们的注册商标，没有经过授权。",
            "有卖家把我的商品图片和文案一字不差地抄走了。",
            "这家店买好评，一天冒出几百条一模一样的五星评价。",
            "打折是按一个从来没有过的原价算的。",
            "这个卖家在卖盗版软件和电影。",
            "店铺在卖平台禁止销售的东西，比如枪支配件。",
            "竞争对手一直给我们的商品刷差评，想把我们挤下去。",
            "卖家说是{brand}授权经销商，品牌方说根本没授权。",
            "商品上的认证标志是假的，认证机构从来没发过。",
            "广告里说明星代言，明星本人根本没代言过。",
            "这家店抄袭我们的专利设计，卖一半的价格。",
            "有人把我拍的照片去掉水印拿去卖。",
            "卖家把我的名字和电话公开发在帖子里。",
            "促销倒计时每天重置，限时优惠一直都在，误导消费者。",
            "商品写的是进口，标签上却是国内生产，虚假宣传。",
            "他们用刷单冲销量，靠虚假交易冲排名。",
            "商品宣称有医疗效果，根本没有批文。",
            "这家店卖{brand}包的高仿，还印着真logo。",
            "有卖家用我们的品牌名当关键词，把顾客引到他的山寨货。",
            "店铺引导买家到平台外面私下交易，规避平台规则。",
        ],
        "extra": [
            "请下架这些商品。",
            "这违反了平台自己的规定。",
            "我们有权利证明，可以提供。",
            "其他买家也被误导了。",
            "不是一次两次了，这家店每个商品都这样。",
            "之前举报过，商品现在还在卖。",
        ],
    },
}

ZH_OPEN = [
    "你好，",
    "您好，",
    "通过APP反馈一下。",
    "这是我第二次反馈这个问题了。",
    "平台你们好，",
    "本来不想投诉的。",
    "说一下情况。",
    "订单号见截图。",
    "老用户了。",
    "电话打不通只好在这里写。",
    "不好意思有点长。",
    "唉。",
    "帮我妈反馈一下。",
    "小程序上提交的。",
]
ZH_DISTRACT = {
    "service": ["客服态度倒是挺好的。", "这次客服回复还算快。"],
    "goods": ["东西本身是好的。", "商品质量没什么问题。"],
    "after_sales": ["我没有申请退换货。", "也不需要维修。"],
    "transaction_dispute": ["物流挺快的，付款也顺利。", "包裹是按时到的。"],
    "violation": ["店铺看着挺正规的。", "是正规品牌店。"],
}
ZH_STORY = [
    "上个月给爸妈买了{item}。",
    "事情是{days}天前开始的。",
    "我从头说一下。",
    "用这个平台好几年了一直没出过问题。",
    "一开始都挺正常的。",
    "是大促的时候下的单。",
    "前面是我老婆在处理，现在我来跟进。",
]
ZH_CLOSE = [
    "请尽快处理。",
    "希望24小时内给个答复。",
    "谢谢。",
    "真的受够了。",
    "你们打算怎么处理？",
    "要求赔偿。",
    "麻烦尽快看一下！！",
    "非常不满意。",
    "希望有人真的会看。",
    "再不处理就去12315投诉。",
    "",
]
ZH_SLANG = {"非常": "灰常", "什么": "神马", "这样": "酱紫", "东西": "东东", "真的": "真滴"}
ZH_TYPO = {"在": "再", "已经": "以经", "的": "得", "现在": "现再", "账号": "帐号"}
ZH_MIX = {
    "客服": "customer service",
    "退款": "refund",
    "订单": "order",
    "质量": "quality",
    "快递": "快递小哥",
    "商家": "seller",
    "售后": "after sales",
    "假货": "fake",
    "维修": "repair",
}


def _fill(rng: random.Random, text: str, slots: dict[str, list[str]]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(slots[m.group(1)]), text)


def _typos_en(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 4 and w.isalpha():
            j = rng.randrange(1, len(w) - 2)
            w = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if rng.random() < 0.5 else w[:j] + w[j + 1 :]
            words[i] = w
    return " ".join(words)


def _sub_some(rng: random.Random, text: str, table: dict[str, str], p: float) -> str:
    for a, b in table.items():
        if a in text and rng.random() < p:
            text = text.replace(a, b, 1)
    return text


def complaint(rng: random.Random, lang: str, cat: str) -> tuple[str, str]:
    spec = (EN if lang == "en" else ZH)[cat]
    slots = EN_SLOTS if lang == "en" else ZH_SLOTS
    opens, story = (EN_OPEN, EN_STORY) if lang == "en" else (ZH_OPEN, ZH_STORY)
    distract, close = (EN_DISTRACT, EN_CLOSE) if lang == "en" else (ZH_DISTRACT, ZH_CLOSE)
    parts: list[str] = []
    shape = rng.random()
    if shape < 0.25:  # short: one sentence
        parts.append(rng.choice(spec["core"]))
    elif shape < 0.7:  # medium
        if rng.random() < 0.5:
            parts.append(rng.choice(opens))
        parts += rng.sample(spec["core"], rng.randint(1, 2))
        if rng.random() < 0.6:
            parts.append(rng.choice(spec["extra"]))
        parts.append(rng.choice(close))
    else:  # long story, the category shows late
        parts.append(rng.choice(opens))
        parts += rng.sample(story, rng.randint(1, 3))
        others = [c for c in CATEGORIES if c != cat]
        for other in rng.sample(others, rng.randint(1, 2)):
            parts.append(rng.choice(distract[other]))
        parts += rng.sample(spec["core"], rng.randint(1, 2))
        parts.append(rng.choice(spec["extra"]))
        parts.append(rng.choice(close))
    sep = " " if lang == "en" else ""
    text = _fill(rng, sep.join(p for p in parts if p), slots)
    subject = _fill(rng, rng.choice(spec["subject"]), slots)
    if lang == "en":
        if rng.random() < 0.15:
            text = _typos_en(rng, text)
        if rng.random() < 0.15:
            text = text.lower().replace(".", "").replace(",", "")
            subject = subject.lower()
    else:
        if rng.random() < 0.12:
            text = _sub_some(rng, text, ZH_SLANG, 0.7)
        if rng.random() < 0.12:
            text = _sub_some(rng, text, ZH_TYPO, 0.5)
        if rng.random() < 0.15:
            text = _sub_some(rng, text, ZH_MIX, 0.6)
    return subject, text


def main() -> int:
    rng = random.Random(20260302)
    for lang in ("en", "zh"):
        rows: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        for cat in CATEGORIES:
            n = 0
            while n < PER_CATEGORY:
                subject, text = complaint(rng, lang, cat)
                if text in seen:
                    continue
                seen.add(text)
                rows.append((cat, subject, text))
                n += 1
        path = DATA / f"train_{lang}.tsv"
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter="\t", lineterminator="\n")
            w.writerow(["category", "subject", "description"])
            w.writerows(rows)
        print(f"{path.name}: {len(rows)} complaints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
